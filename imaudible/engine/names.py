"""The names the cache accepts from what it reads on disk."""
import re

FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a result's file names (and stage names): never a path
SHA256 = re.compile(r"[0-9a-f]{64}")                   # a key, or a file's digest
