namespace Arca.Storage;
