using System.Diagnostics;

namespace Codis.Server.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or the (generous) timeout passes.</summary>
public static class Eventually
{
    public static void True(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (condition()) return;
            }
            catch (IOException) when (sw.Elapsed < timeout) { }
            if (sw.Elapsed > timeout) Assert.Fail($"timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}");
            Thread.Sleep(50);
        }
    }
}
