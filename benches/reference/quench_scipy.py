"""Reference quench with scipy, for side-by-side timing against `pinch quench`: L-BFGS (scipy.optimize)
to a loose tolerance, then Newton steps with the sparse Hessian solved by scipy.sparse.linalg.splu with
one particle pinned. The model (smoothed r^-10, non-additive sizes) is written here in numpy, with pairs
from matscipy's neighbour list; it is independent of pinch's implementation.

Usage: quench_scipy.py CONFIGURATION.h5 [FORCE_TOLERANCE]   prints JSON (seconds, energy, max force)
"""
import json
import sys
import time

import h5py
import numpy as np
import scipy.optimize
import scipy.sparse
import scipy.sparse.linalg
from ase import Atoms
from matscipy.neighbours import neighbour_list
from scipy.special import factorial2

path = sys.argv[1]
tolerance = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-10
with h5py.File(path, "r") as f:
    x0 = f["particles/all/position"][()]
    lam = f["particles/all/diameter"][()]
    L = float(f["particles/all/box/edges"][0])
    model = dict(f["parameters/model"].attrs)
xc, q, na = float(model["cutoff"]), int(model["smoothing_order"]), float(model["non_additivity"])
c = np.array([(-1) ** (l + 1) * factorial2(10 + 2 * q) / (factorial2(2 * q - 2 * l) * factorial2(2 * l) * factorial2(8) * (10 + 2 * l)) * xc ** (-(10 + 2 * l)) for l in range(q + 1)])
n = len(lam)
rc = xc * lam.max()


def pairs(x):
    atoms = Atoms(positions=x, cell=[L, L, L], pbc=True)
    i, j, D = neighbour_list("ijD", atoms, rc)
    keep = i < j
    i, j, D = i[keep], j[keep], D[keep]
    size = 0.5 * (lam[i] + lam[j]) * (1 - na * np.abs(lam[i] - lam[j]))
    r2 = np.einsum("ij,ij->i", D, D)
    inside = r2 < (xc * size) ** 2
    return i[inside], j[inside], D[inside], size[inside], r2[inside]


def derivatives(r2, size):
    """phi, phi'/r and phi'' for each pair."""
    s = r2 / size**2
    phi = s**-5 + sum(cl * s**l for l, cl in enumerate(c))
    dphi_x = -10 * s**-5.5 + sum(2 * l * cl * s ** (l - 0.5) for l, cl in enumerate(c) if l > 0)  # dphi/dx
    d2phi_x = 110 * s**-6 + sum(2 * l * (2 * l - 1) * cl * s ** (l - 1) for l, cl in enumerate(c) if l > 0)
    r = np.sqrt(r2)
    return phi, dphi_x / size / r, d2phi_x / size**2


def energy_and_gradient(flat):
    x = flat.reshape(n, 3)
    i, j, D, size, r2 = pairs(x)
    phi, slope, _ = derivatives(r2, size)
    g = np.zeros((n, 3))
    t = slope[:, None] * D  # dU/dx_j for each pair
    np.add.at(g, j, t)
    np.add.at(g, i, -t)
    return phi.sum(), g.ravel()


def hessian(x):
    i, j, D, size, r2 = pairs(x)
    _, slope, curvature = derivatives(r2, size)
    k = ((curvature - slope) / r2)[:, None, None] * D[:, :, None] * D[:, None, :] + slope[:, None, None] * np.eye(3)
    rows, cols, vals = [], [], []
    for a in range(3):
        for b in range(3):
            for (p, qq, sign) in ((i, j, -1), (j, i, -1), (i, i, 1), (j, j, 1)):
                rows.append(3 * p + a)
                cols.append(3 * qq + b)
                vals.append(sign * k[:, a, b])
    return scipy.sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(3 * n, 3 * n)).tocsc()


start = time.perf_counter()
result = scipy.optimize.minimize(energy_and_gradient, x0.ravel(), jac=True, method="L-BFGS-B", options={"gtol": 1e-2, "maxiter": 100000, "maxcor": 20})
x = result.x
lbfgs_seconds = time.perf_counter() - start
newton_steps = 0
while True:
    e, g = energy_and_gradient(x)
    max_force = np.abs(g).max()
    if max_force < tolerance or newton_steps >= 30:
        break
    h = hessian(x.reshape(n, 3))
    keep = np.arange(3, 3 * n)  # pin particle 0 (removes the translations)
    u = np.zeros(3 * n)
    u[keep] = scipy.sparse.linalg.splu(h[keep][:, keep]).solve(-g[keep])
    u -= np.tile(u.reshape(n, 3).mean(axis=0), n)
    x = x + u
    newton_steps += 1
seconds = time.perf_counter() - start
print(json.dumps({"method": "scipy L-BFGS-B + Newton (splu)", "seconds": seconds, "lbfgs_seconds": lbfgs_seconds, "lbfgs_iterations": int(result.nit),
                  "newton_steps": newton_steps, "energy_per_particle": e / n, "max_force": float(max_force)}))
