"""Writes type stubs (.pyi) of the cohort._cohort extension with nanobind's stubgen.

    python make_stubs.py EXTENSION_FILE OUT_DIR

OUT_DIR receives _cohort.pyi, one <submodule>/__init__.pyi per submodule (ops, models, optim)
and the py.typed marker; they are installed into the `cohort` package. The extension is imported
as `cohort._cohort` from a staging copy, so the stubs name types as the installed package does.
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile


def main(extension, out_dir):
    extension, out_dir = pathlib.Path(extension), pathlib.Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as stage:
        # A regular package holding only the extension, so an installed `cohort` (an older build)
        # cannot take its place on the import path.
        package = pathlib.Path(stage, "cohort")
        package.mkdir()
        (package / "__init__.py").touch()
        shutil.copy2(extension, package / extension.name)
        subprocess.run([sys.executable, "-m", "nanobind.stubgen", "-q", "-i", stage, "-m", "cohort._cohort",
                        "-r", "-O", str(out_dir), "-M", str(out_dir / "py.typed")], check=True)
    # stubgen names the top-level stub after the dotted module name minus its last part.
    (out_dir / "cohort.pyi").rename(out_dir / "_cohort.pyi")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
