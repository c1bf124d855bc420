using System.Diagnostics.CodeAnalysis;

namespace Arca.Metadata;

/// <summary>A value or an expected error; <see cref="Value"/> may also be set with an error (409 returns the existing version).</summary>
public readonly struct StoreResult<T>
{
    private StoreResult(T? value, StoreError error, string? detail)
    {
        Value = value;
        Error = error;
        Detail = detail;
    }

    public T? Value { get; }

    public StoreError Error { get; }

    public string? Detail { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    public bool IsOk => Error == StoreError.None;

    public static StoreResult<T> Ok(T value) => new(value, StoreError.None, null);

    public static StoreResult<T> Fail(StoreError error, string detail, T? value = default) => new(value, error, detail);

    public static implicit operator StoreResult<T>(T value) => Ok(value);
}
