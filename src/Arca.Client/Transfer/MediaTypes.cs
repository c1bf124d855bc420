namespace Arca.Client.Transfer;

/// <summary>Media types of model files by extension (what a layer's <c>mediaType</c> says).</summary>
public static class MediaTypes
{
    public static string ForPath(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".safetensors" => "application/vnd.safetensors",
        ".gguf" => "application/vnd.gguf",
        ".onnx" => "application/vnd.onnx",
        ".pt" or ".pth" or ".bin" or ".ckpt" => "application/vnd.pytorch",
        ".h5" or ".hdf5" => "application/x-hdf5",
        ".pb" => "application/vnd.tensorflow.savedmodel",
        ".json" => "application/json",
        ".yaml" or ".yml" => "application/yaml",
        ".txt" or ".md" => "text/plain",
        ".model" => "application/vnd.sentencepiece",
        ".tar" => "application/x-tar",
        ".npy" or ".npz" => "application/vnd.numpy",
        _ => "application/octet-stream",
    };
}
