"""An output folder on another filesystem (`s3://bucket/prefix`, `gs://…`): the few pathlib operations
the partition folder of `label --engine ray` needs, over pyarrow.fs (S3, GCS, HDFS built in; any other
fsspec filesystem through pyarrow's FSSpecHandler).

There is no rename on an object store; there a partition is written as one object (one PUT, or a
multipart upload completed at once), which readers see whole or not at all, so it needs no temporary
name. A local folder stays a `pathlib.Path` (temporary file, then rename).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from clausetag.infer.manifest import is_remote


def folder_at(location: str | Path) -> Path | RemotePath:
    """A local folder as a Path, an address on another filesystem (`s3://…`) as a RemotePath."""
    return RemotePath.from_uri(location) if isinstance(location, str) and is_remote(location) else Path(location)


def _filesystem(uri: str):
    import pyarrow.fs as pafs

    try:
        return pafs.FileSystem.from_uri(uri)
    except (pafs.ArrowInvalid, ValueError, OSError) as first:  # a scheme pyarrow has not built in: fsspec's
        try:
            import fsspec

            fs, path = fsspec.core.url_to_fs(uri)
        except (ImportError, ValueError) as e:
            raise OSError(f"{uri}: no filesystem for this address ({first}; {e})") from None
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


class RemotePath:
    """A path on a pyarrow filesystem, shown (and compared) as its address."""

    def __init__(self, fs, path: str, scheme: str):
        self.fs, self.path, self.scheme = fs, path.rstrip("/"), scheme

    @classmethod
    def from_uri(cls, uri: str) -> RemotePath:
        fs, path = _filesystem(uri)
        return cls(fs, path, uri.split("://", 1)[0])

    def __str__(self) -> str:
        return f"{self.scheme}://{self.path}"

    def __repr__(self) -> str:
        return f"RemotePath({str(self)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RemotePath) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __lt__(self, other: RemotePath) -> bool:
        return str(self) < str(other)

    def __truediv__(self, name: str) -> RemotePath:
        return RemotePath(self.fs, f"{self.path}/{name}", self.scheme)

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.path).suffix

    @property
    def parent(self) -> RemotePath:
        return RemotePath(self.fs, str(PurePosixPath(self.path).parent), self.scheme)

    def absolute(self) -> RemotePath:
        return self

    @property
    def root(self) -> RemotePath:
        """The bucket (or the filesystem's top folder) the path is in."""
        return RemotePath(self.fs, self.path.split("/", 1)[0], self.scheme)

    def _info(self):
        return self.fs.get_file_info(self.path)

    def exists(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type != pafs.FileType.NotFound

    def is_dir(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type == pafs.FileType.Directory

    def is_file(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type == pafs.FileType.File

    def iterdir(self):
        import pyarrow.fs as pafs

        for info in self.fs.get_file_info(pafs.FileSelector(self.path, allow_not_found=True)):
            yield RemotePath(self.fs, info.path, self.scheme)

    def stat(self):
        """What `written_documents` asks of a file: its modification time (on S3 to the second) and size."""
        info = self._info()
        return _Stat(info.mtime_ns or 0, info.size or 0)

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        self.fs.create_dir(self.path, recursive=parents)

    def unlink(self, missing_ok: bool = False) -> None:
        if missing_ok and not self.exists():
            return
        self.fs.delete_file(self.path)

    def open_input(self):
        """The file for reading (a pyarrow NativeFile: pyarrow.parquet reads it as it reads a path)."""
        return self.fs.open_input_file(self.path)

    def open(self, mode: str = "r", encoding: str | None = None):
        """For reading only (a partition is small: read whole)."""
        data = self.read_bytes()
        return io.BytesIO(data) if "b" in mode else io.StringIO(data.decode(encoding or "utf-8"))

    def read_bytes(self) -> bytes:
        with self.fs.open_input_stream(self.path) as f:
            return f.read()

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def write_bytes(self, data: bytes) -> None:
        """One object, written whole (see the module's docstring)."""
        with self.fs.open_output_stream(self.path) as f:
            f.write(data)


@dataclass(frozen=True)
class _Stat:
    st_mtime_ns: int
    st_size: int
