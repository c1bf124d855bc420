using Arca.Storage.Blobs;

namespace Arca.Server.Uploads;

/// <summary>
/// A resumable upload (OCI distribution style): bytes arrive in order through PATCH and stream straight into the
/// chunk store; <see cref="Offset"/> is how much has been received. One request at a time works on a session.
/// </summary>
internal sealed class UploadSession(string id, BlobWriter writer, string spoolPath, DateTimeOffset now)
{
    public string Id { get; } = id;
    public BlobWriter Writer { get; } = writer;

    /// <summary>A small marker file under <c>uploads/</c>, so an operator sees sessions in progress.</summary>
    public string SpoolPath { get; } = spoolPath;

    public SemaphoreSlim Gate { get; } = new(1, 1);
    public long Offset => Writer.Length;
    public DateTimeOffset LastActivity { get; set; } = now;
}
