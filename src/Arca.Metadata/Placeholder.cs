namespace Arca.Metadata;
