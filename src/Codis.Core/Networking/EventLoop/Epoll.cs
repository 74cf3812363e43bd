using System.Runtime.InteropServices;

namespace Codis.Core.Networking.EventLoop;

/// <summary>The Linux calls the event loop needs: epoll, eventfd, and read/write on non-blocking sockets.</summary>
public static unsafe partial class Epoll
{
    public const uint In = 0x001, Out = 0x004, Err = 0x008, Hup = 0x010, RdHup = 0x2000, EdgeTriggered = 1u << 31;
    public const int CtlAdd = 1, CtlDel = 2;
    public const int EAGAIN = 11, EINTR = 4;
    private const int CloExec = 0x80000, NonBlock = 0x800;
    private const int MsgNoSignal = 0x4000;

    /// <summary>struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere.</summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = EventSize == 12 ? 4 : 8;

    public static bool Supported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    public static uint EventsAt(byte* events, int i) => *(uint*)(events + i * EventSize);
    public static ulong DataAt(byte* events, int i) => *(ulong*)(events + i * EventSize + DataOffset);

    public static int Create() => Check(epoll_create1(CloExec), "epoll_create1");

    public static int CreateEventFd() => Check(eventfd(0, CloExec | NonBlock), "eventfd");

    public static int Control(int epfd, int op, int fd, uint events, ulong data)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + DataOffset) = data;
        return epoll_ctl(epfd, op, fd, ev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <returns>the number of events, or -errno</returns>
    public static int Wait(int epfd, byte* events, int max, int timeoutMs)
    {
        int n = epoll_wait(epfd, events, max, timeoutMs);
        return n >= 0 ? n : -Marshal.GetLastPInvokeError();
    }

    // recvfrom/sendto through syscall(2): glibc's recv and send are thread-cancellation points, and entering and
    // leaving one costs two atomic operations each (5 % of codis-server's user time per request at pipeline 1).
    // Neither call blocks on a non-blocking socket, so they also skip the runtime's GC transition.
    private static readonly nint SysRecvFrom = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 45 : 207;
    private static readonly nint SysSendTo = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 44 : 206;

    /// <returns>bytes read (0 = end of stream), or -errno; the socket is non-blocking</returns>
    public static int Read(nint fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint n = syscall6(SysRecvFrom, fd, (nint)p, buffer.Length, 0, 0, 0);
            return n >= 0 ? (int)n : -Marshal.GetLastSystemError();
        }
    }

    /// <returns>bytes written, or -errno; the socket is non-blocking</returns>
    public static int Write(nint fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint n = syscall6(SysSendTo, fd, (nint)p, buffer.Length, MsgNoSignal, 0, 0);
            return n >= 0 ? (int)n : -Marshal.GetLastSystemError();
        }
    }

    public static void Signal(int eventFd)
    {
        ulong one = 1;
        write(eventFd, &one, 8);
    }

    public static void DrainEventFd(int eventFd)
    {
        ulong value;
        read(eventFd, &value, 8);
    }

    public static void Close(int fd) => close(fd);

    private static int Check(int result, string call) =>
        result >= 0 ? result : throw new IOException($"{call} failed: errno {Marshal.GetLastPInvokeError()}");

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    // syscall(2) is variadic; its Linux implementations take every argument from the integer registers (and the
    // stack past six), so a fixed six-argument signature passes them as the kernel expects on x86-64 and arm64.
    // No SetLastError marshalling (two more native calls per call): without a GC transition nothing runs between
    // the call's return and the caller reading errno, and only a failure reads it.
    [LibraryImport("libc", EntryPoint = "syscall")]
    [SuppressGCTransition]
    private static partial nint syscall6(nint number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, void* buf, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, void* buf, nint count);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
