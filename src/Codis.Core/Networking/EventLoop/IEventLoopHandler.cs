namespace Codis.Core.Networking.EventLoop;

/// <summary>What a socket registered with an <see cref="EventLoop"/> does with its events (on the loop thread).</summary>
public interface IEventLoopHandler
{
    /// <param name="events">the epoll event bits (<see cref="Epoll.In"/>, <see cref="Epoll.Out"/>, ...)</param>
    void OnEvents(uint events);
}

/// <summary>Work an <see cref="EventLoop"/> runs at the end of a round (<see cref="EventLoop.DeferToRoundEnd"/>).</summary>
public interface IRoundEndWork
{
    void OnRoundEnd();
}
