using Codis.Server.Slots;

namespace Codis.Server;

internal sealed partial class CodisServer
{
    private SlotsState? slots;

    /// <summary>Slot-migration state: cached sync links to targets, the semi-async link of each database.</summary>
    public SlotsState Slots
    {
        get
        {
            if (slots != null) return slots;
            lock (Keyspace.Lock) return slots ??= new SlotsState(this);
        }
    }

    /// <summary>Whether any slot-migration state exists yet (reading <see cref="Slots"/> would create it).</summary>
    internal bool HasSlotsState => slots != null;

    /// <summary>Whether the command running now is a write a semi-async migration forwards to its target.</summary>
    internal bool ForwardingWrite
    {
        get
        {
            if (slots == null) return false;
            foreach (var a in slots.Async)
                if (a.Forwarding) return true;
            return false;
        }
    }
}
