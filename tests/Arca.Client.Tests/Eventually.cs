using System.Diagnostics;

namespace Arca.Client.Tests;

/// <summary>Bounded polling: a condition that does not come true in time fails the test instead of hanging it.</summary>
internal static class Eventually
{
    public static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, Func<string> failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"not within {timeout}: {failure()}");
            }
            await Task.Delay(20);
        }
    }
}
