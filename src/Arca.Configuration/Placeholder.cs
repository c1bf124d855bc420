namespace Arca.Configuration;
