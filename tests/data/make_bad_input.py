"""Writes the bad-input corpus in tests/data/bad-input/ (run from the repository root with the venv's python).

Each case is one file plus the text its error message must contain: a `# expect:` first line for TOML,
a sidecar `<file>.expect` for XYZ and HDF5 files.
"""
import pathlib

import h5py
import numpy as np

out = pathlib.Path("tests/data/bad-input")
out.mkdir(parents=True, exist_ok=True)

toml_cases = {
    "syntax-error": ("cutoff = = 1.4", "TOML parse error at line 2"),
    "wrong-type": ('cutoff = "1.4"', "invalid type: string"),
    "table-for-value": ("[cutoff]\nvalue = 1.4", "invalid type"),
    "unknown-key": ("cut_off = 1.4", "unknown field `cut_off`"),
    "negative-density": ("number_density = -0.58", "`number_density` = -0.58 must be a positive finite number"),
    "zero-density": ("number_density = 0.0", "`number_density` = 0 must be a positive finite number"),
    "lambda-max-below-min": ("lambda_max = 0.9", "`lambda_max` = 0.9 must exceed lambda_min = 1"),
    "lambda-max-equals-min": ("lambda_min = 2.22", "`lambda_max` = 2.22 must exceed lambda_min = 2.22"),
    "zero-lambda-min": ("lambda_min = 0.0", "`lambda_min` = 0 must be a positive finite number"),
    "infinite-lambda-max": ("lambda_max = inf", "`lambda_max` = inf must be a positive finite number"),
    "zero-cutoff": ("cutoff = 0.0", "`cutoff` = 0 must be a positive finite number"),
    "nan-cutoff": ("cutoff = nan", "`cutoff` = NaN must be a positive finite number"),
    "smoothing-order-too-large": ("smoothing_order = 12", "`smoothing_order` = 12 must be between 0 and 8"),
    "negative-smoothing-order": ("smoothing_order = -1", "invalid value: integer `-1`"),
    "negative-non-additivity": ("non_additivity = -0.1", "`non_additivity` = -0.1 must be a finite number >= 0"),
    "non-additivity-too-large": ("non_additivity = 1.0", "makes pair sizes of the smallest and largest particles non-positive"),
    "unknown-size-set": ('size_set = "uniform"', "unknown variant `uniform`, expected `quantile` or `random`"),
    "box-too-small-for-range": ("lambda_max = 6.0", "`n_particles` = 2000 at number_density = 0.58 gives box length"),
}
for name, (body, expect) in toml_cases.items():
    (out / f"{name}.toml").write_text(f"# expect: {expect}\n{body}\n")

header = 'Lattice="10.0 0.0 0.0 0.0 10.0 0.0 0.0 0.0 10.0" Properties=species:S:1:pos:R:3:lambda:R:1 pbc="T T T"'
xyz_cases = {
    "empty": ("", "line 1: the file is empty"),
    "count-not-a-number": ("two\n" + header + "\n", "line 1: the first line must hold the number of particles"),
    "zero-particles": ("0\n" + header + "\n", "line 1: the number of particles is 0"),
    "no-lattice": ("1\nProperties=species:S:1:pos:R:3:lambda:R:1\nX 1 2 3 1\n", "line 2: no Lattice key"),
    "non-cubic": ('1\nLattice="10 0 0 0 12 0 0 0 10" Properties=species:S:1:pos:R:3:lambda:R:1\nX 1 2 3 1\n', "is not a cubic box"),
    "not-periodic": ('1\nLattice="10 0 0 0 10 0 0 0 10" pbc="T F T" Properties=species:S:1:pos:R:3:lambda:R:1\nX 1 2 3 1\n', "needs a box periodic in all three directions"),
    "no-size-column": ('1\nLattice="10 0 0 0 10 0 0 0 10" Properties=species:S:1:pos:R:3\nX 1 2 3\n', "no particle-size column"),
    "truncated": ("3\n" + header + "\nX 1 2 3 1\nX 4 5 6 1\n", "line 5: the file ends after 2 of 3 particles"),
    "wrong-column-count": ("1\n" + header + "\nX 1 2 3\n", "line 3: 4 columns where Properties declares 5"),
    "not-a-number": ("1\n" + header + "\nX 1 2 three 1\n", 'line 3: position: "three" is not a number'),
    "nan-coordinate": ("1\n" + header + "\nX 1 nan 3 1\n", "particle 0: coordinate y is NaN, not a finite number"),
    "infinite-coordinate": ("1\n" + header + "\nX inf 2 3 1\n", "particle 0: coordinate x is inf, not a finite number"),
    "outside-box": ("2\n" + header + "\nX 1 2 3 1\nX 1 2 10.5 1\n", "particle 1: coordinate z = 10.5 lies outside the box [0, 10)"),
    "negative-size": ("1\n" + header + "\nX 1 2 3 -1.2\n", "particle 0: size lambda = -1.2 is not a positive finite number"),
    "zero-size": ("1\n" + header + "\nX 1 2 3 0\n", "particle 0: size lambda = 0 is not a positive finite number"),
    "box-too-small": ("1\n" + header + "\nX 1 2 3 4.0\n", "is smaller than twice the largest interaction range"),
    "two-frames": ("1\n" + header + "\nX 1 2 3 1\n1\n" + header + "\nX 1 2 3 1\n", "line 4: unexpected content after the 1 particles"),
}
for name, (body, expect) in xyz_cases.items():
    (out / f"{name}.xyz").write_text(body)
    (out / f"{name}.xyz.expect").write_text(expect + "\n")
(out / "binary-garbage.xyz").write_bytes(b"12\n\xff\xfe\x00garbage")
(out / "binary-garbage.xyz.expect").write_text("line 2: not UTF-8 text\n")


def h5md(name, n=200, position=None, diameter=None, edges=None):
    box = (n / 0.58) ** (1 / 3)
    rng = np.random.default_rng(0)
    with h5py.File(out / f"{name}.h5", "w") as f:
        f.create_group("h5md").attrs["version"] = [1, 1]
        g = f.create_group("particles/all")
        g.create_dataset("box/edges", data=edges if edges is not None else [box] * 3)
        if position is not False:
            g.create_dataset("position", data=position if position is not None else rng.uniform(0, box, (n, 3)))
        g.create_dataset("diameter", data=diameter if diameter is not None else np.full(n, 1.5))


h5_cases = {
    "empty": "does not start with the HDF5 signature",
    "not-hdf5": "does not start with the HDF5 signature",
    "truncated": "not a readable HDF5 file",
    "no-positions": "missing dataset /particles/all/position",
    "positions-wrong-shape": "dataset /particles/all/position has shape [200, 2], expected (N, 3)",
    "diameters-wrong-length": "dataset /particles/all/diameter has shape [199], expected [200]",
    "nan-position": "particle 3: coordinate x is NaN, not a finite number",
    "negative-diameter": "particle 0: size lambda = -1 is not a positive finite number",
    "position-outside-box": "lies outside the box",
    "non-cubic-box": "are not those of a cubic box",
}
(out / "empty.h5").write_bytes(b"")
(out / "not-hdf5.h5").write_text("this is plain text, not HDF5\n")
h5md("truncated")
data = (out / "truncated.h5").read_bytes()
(out / "truncated.h5").write_bytes(data[: len(data) // 3])
h5md("no-positions", position=False)
h5md("positions-wrong-shape", position=np.ones((200, 2)))
h5md("diameters-wrong-length", diameter=np.full(199, 1.5))
p = np.random.default_rng(1).uniform(0, 5, (200, 3)); p[3, 0] = np.nan
h5md("nan-position", position=p)
d = np.full(200, 1.5); d[0] = -1.0
h5md("negative-diameter", diameter=d)
h5md("position-outside-box", position=np.full((200, 3), 100.0))
h5md("non-cubic-box", edges=[8.0, 8.0, 9.0])
# Particle counts only declared (the datasets are never written, so the files stay small): one beyond
# memory, one whose byte count 56 N wraps around 2^64 to a few bytes.
for name, n in [("huge-particle-count", 10**11), ("wrapping-particle-count", 2**64 // 56 + 1)]:
    with h5py.File(out / f"{name}.h5", "w") as f:
        f.create_group("h5md").attrs["version"] = [1, 1]
        g = f.create_group("particles/all")
        g.create_dataset("box/edges", data=[10.0] * 3)
        g.create_dataset("position", shape=(n, 3), dtype="f8")
        g.create_dataset("diameter", shape=(n,), dtype="f8")
    h5_cases[name] = f"reading {n} particles needs about"
for name, expect in h5_cases.items():
    (out / f"{name}.h5.expect").write_text(expect + "\n")
print(f"{len(toml_cases)} TOML, {len(xyz_cases) + 1} XYZ and {len(h5_cases)} HDF5 cases written to {out}")
