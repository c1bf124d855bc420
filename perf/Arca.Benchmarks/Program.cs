using System.Globalization;
using BenchmarkDotNet.Running;

namespace Arca.Benchmarks;

public static class Program
{
    public static async Task Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--store-open")
        {
            await StoreOpenTimer.RunAsync(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 0.5);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
