"""imaudible: a walkable 3D web gallery where every artwork has its own music."""
__version__ = "0.1.0"
