using System.Collections.Concurrent;

namespace Arca.Server.Tier;

/// <summary>
/// One run of a piece of work per key at a time, however many ask at once (a recipe fetch per blob, a token check per
/// token). Whoever registers the promise starts the work, inline: its request leaves now, not after a thread-pool hop
/// (a <see cref="ConcurrentDictionary{TKey,TValue}.GetOrAdd(TKey, Func{TKey, TValue})"/> factory may run once per
/// concurrent caller, and each run would be a request upstream). The key is free again once the work has ended.
/// </summary>
internal static class SingleFlight
{
    public static Task<T> Run<TKey, T>(ConcurrentDictionary<TKey, Task<T>> running, TKey key, Func<Task<T>> work)
        where TKey : notnull
    {
        if (running.TryGetValue(key, out var task))
        {
            return task;
        }
        var promise = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        task = running.GetOrAdd(key, promise.Task);
        if (task == promise.Task)
        {
            _ = CompleteAsync(running, key, promise, work);
        }
        return task;
    }

    private static async Task CompleteAsync<TKey, T>(ConcurrentDictionary<TKey, Task<T>> running, TKey key,
        TaskCompletionSource<T> promise, Func<Task<T>> work)
        where TKey : notnull
    {
        try
        {
            var result = await work().ConfigureAwait(false);
            running.TryRemove(new KeyValuePair<TKey, Task<T>>(key, promise.Task));
            promise.TrySetResult(result);
        }
        catch (Exception e)
        {
            running.TryRemove(new KeyValuePair<TKey, Task<T>>(key, promise.Task));
            promise.TrySetException(e);
        }
    }
}
