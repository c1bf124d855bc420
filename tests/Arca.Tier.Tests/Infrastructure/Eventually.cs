using System.Diagnostics;

namespace Arca.Tier.Tests.Infrastructure;

/// <summary>Bounded polling: a condition that does not come true in time fails the test instead of hanging it.</summary>
internal static class Eventually
{
    public static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, Func<string> failure) =>
        await WaitAsync(() => Task.FromResult(condition()), timeout, failure);

    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> failure)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"not within {timeout}: {failure()}");
            }
            await Task.Delay(50);
        }
    }
}
