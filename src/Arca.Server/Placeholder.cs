namespace Arca.Server;
