namespace Arca.DataPlane;
