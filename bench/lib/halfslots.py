"""Prints a proxy --fillslots table: slots 0-511 on the first backend port (group 1), 512-1023 on the second (group 2).
usage: python3 bench/lib/halfslots.py <port-a> <port-b> > slots.json"""
import json
import sys

a, b = sys.argv[1], sys.argv[2]
print(json.dumps([{"id": i, "backend_addr": f"127.0.0.1:{a if i < 512 else b}", "backend_addr_group_id": 1 if i < 512 else 2}
                  for i in range(1024)]))
