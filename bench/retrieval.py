"""Retrieval benchmark: nearest neighbours in aeguard's latent space vs raw pixels and PCA.

MNIST from ``../shared/data/mnist``: the gallery is the 60,000 training images, the queries
are the 10,000 test images (grey levels scaled into [0, 1]). For every method, in the same
run on the same data:

* ``p@10``: precision at 10, the fraction of each query's 10 nearest gallery items that show
  the query's digit, averaged over the queries;
* ``ms/1k``: wall time per 1,000 queries of answering all 10,000 (``time.perf_counter``),
  end to end from the images: it includes projecting (PCA) or encoding (aeguard) the queries;
* ``search_ms/1k``: the same for the search alone, on already projected or encoded queries
  (what distinguishes two backends over the same codes);
* ``index_MB``: memory held by the index (the stored vectors plus any search structure);
* ``build_s``: time to build the index from the gallery images (projecting or encoding the
  gallery included; the one-off PCA or autoencoder fit is reported separately as ``fit_s``).

Methods:

1. ``raw``: exact kNN (scikit-learn ``NearestNeighbors``, euclidean, brute force) on the
   784 raw pixels, stored as float32;
2. ``pca32`` (or ``pcaN`` for any N): exact kNN on N PCA components fitted on the gallery;
3. ``aeguard``: a convolutional ``AEDetector`` (latent_dim 32, trim_fraction 0, ``--epochs``)
   fitted on the gallery; ``kneighbors`` with the exact backend;
4. ``aeguard-faiss``: the same model, ``index(backend="faiss")`` (IVF-Flat, approximate);
5. ``aeguard-cosine``: the same model, exact backend, ``metric="cosine"``;
6. ``aeguard-default`` (asked for by name): ``AEDetector(random_state=seed)`` at its defaults
   (its own code width and training length), exact backend;
7. ``aeguard-jitterN`` (asked for by name): the same with ``jitter=N`` (trained on images
   moved by up to N pixels, the unmoved image as the target).

Targets: aeguard p@10 >= raw's with an index >= 20x smaller and queries >= 10x faster; the
faiss backend keeps >= 99 % of the exact backend's p@10 and is faster than it; the default
code's p@10 above that of a PCA code twice its width, on a 30,000-image gallery and 2,000
queries (``--gallery 30000 --queries 2000 --methods pca16,pca32,aeguard-default``).

Run from the repository root (needs ``pip install -e ".[bench]"`` for faiss)::

    python bench/retrieval.py
    python bench/retrieval.py --epochs 5 --methods raw,aeguard
    python bench/retrieval.py --gallery 30000 --queries 2000 --methods pca16,pca32,aeguard-default
    python bench/retrieval.py --gallery 30000 --queries 2000 --methods pca32,aeguard-jitter2
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import comma_list, environment_lines  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
METHODS = ["raw", "pca32", "aeguard", "aeguard-faiss", "aeguard-cosine"]
K = 10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    parser.add_argument("--methods", type=comma_list, default=METHODS)
    parser.add_argument("--epochs", type=int, default=10, help="autoencoder training epochs")
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--gallery", type=int, default=60_000,
                        help="gallery images, drawn at random from the 60,000 training images")
    parser.add_argument("--queries", type=int, default=10_000,
                        help="queries, drawn at random from the 10,000 test images")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


JITTER = re.compile(r"aeguard-jitter([1-9][0-9]*)")


def known_method(name):
    return (name in METHODS or name == "aeguard-default" or JITTER.fullmatch(name)
            or re.fullmatch(r"pca[1-9][0-9]*", name))


def subset(images, labels, n, rng):
    """``n`` of the images and their labels at random (all of them, in order, when n covers them)."""
    if n >= len(images):
        return images, labels
    keep = np.sort(rng.choice(len(images), n, replace=False))
    return images[keep], labels[keep]


def precision_at_k(indices, gallery_labels, query_labels):
    return float(np.mean(gallery_labels[indices] == query_labels[:, None]))


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def sklearn_index_bytes(nn):
    return int(nn._fit_X.nbytes)


def run_sklearn(method, gallery, queries, seed):
    """Exact kNN on raw pixels or on PCA-32 projections."""
    from sklearn.decomposition import PCA
    from sklearn.neighbors import NearestNeighbors

    flat_g = gallery.reshape(len(gallery), -1)
    flat_q = queries.reshape(len(queries), -1)
    fit_s = 0.0
    if method.startswith("pca"):
        width = int(method[3:])
        pca, fit_s = timed(lambda: PCA(n_components=width, random_state=seed).fit(flat_g))

        def project(X):
            return pca.transform(X).astype(np.float32)
    else:
        def project(X):
            return X

    nn, build_s = timed(lambda: NearestNeighbors(n_neighbors=K, algorithm="brute")
                        .fit(project(flat_g)))
    (_, indices), query_s = timed(lambda: nn.kneighbors(project(flat_q)))
    projected = project(flat_q)
    _, search_s = timed(lambda: nn.kneighbors(projected))
    return indices, {"fit_s": fit_s, "build_s": build_s, "query_s": query_s,
                     "search_s": search_s, "index_bytes": sklearn_index_bytes(nn)}


def fit_autoencoder(gallery, args, default=False, jitter=0):
    from aeguard import AEDetector

    if default:
        det = AEDetector(random_state=args.seed, jitter=jitter, verbose=2)
    else:
        det = AEDetector(architecture="conv2d", latent_dim=args.latent_dim, epochs=args.epochs,
                         trim_fraction=0, random_state=args.seed, verbose=2)
    _, fit_s = timed(lambda: det.fit(gallery))
    return det, fit_s


def run_aeguard(det, method, gallery, queries):
    metric = "cosine" if method == "aeguard-cosine" else "euclidean"
    backend = "faiss" if method == "aeguard-faiss" else "exact"
    _, build_s = timed(lambda: det.index(gallery, metric=metric, backend=backend))
    index = det._latent_index()
    (_, indices), query_s = timed(lambda: det.kneighbors(queries, n_neighbors=K))
    codes = det.transform(queries)
    _, search_s = timed(lambda: index.query(codes, K))
    return indices, {"build_s": build_s, "query_s": query_s, "search_s": search_s,
                     "index_bytes": index.nbytes, "backend": index.backend_}


def main(argv=None):
    args = parse_args(argv)
    unknown = [m for m in args.methods if not known_method(m)]
    if unknown:
        print(f"error: unknown methods {unknown}; choose from {METHODS}, aeguard-default, "
              "aeguard-jitterN or pcaN", file=sys.stderr)
        return 2
    if args.gallery < K or args.queries < 1:
        print(f"error: need at least {K} gallery images and 1 query", file=sys.stderr)
        return 2
    from aeguard.datasets import load_mnist

    try:
        train, train_y = load_mnist(args.data, "train")
        test, test_y = load_mnist(args.data, "test")
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    train, train_y = subset(train, train_y, args.gallery, rng)
    test, test_y = subset(test, test_y, args.queries, rng)
    gallery = (train / 255.0).astype(np.float32)
    queries = (test / 255.0).astype(np.float32)

    print(f"# bench/retrieval.py: MNIST, gallery {len(gallery):,} training images, "
          f"{len(queries):,} test queries, k=10")
    for line in environment_lines([("faiss-cpu", "faiss-cpu")]):
        print("# " + line)
    print(f"# aeguard: conv AEDetector, latent_dim {args.latent_dim}, epochs {args.epochs}, "
          f"trim_fraction 0, seed {args.seed}; aeguard-default: AEDetector(random_state="
          f"{args.seed}) at its defaults")
    print()

    rows = {}
    code_widths = {}  # of the detectors at their defaults (aeguard-default, aeguard-jitterN)
    det = None
    for method in args.methods:
        jitter = JITTER.fullmatch(method)
        if method == "aeguard-default" or jitter:
            own_det, fit_s = fit_autoencoder(gallery, args, default=True,
                                             jitter=int(jitter.group(1)) if jitter else 0)
            indices, stats = run_aeguard(own_det, method, gallery, queries)
            stats["fit_s"] = fit_s
            code_widths[method] = own_det.latent_dim_
        elif method.startswith("aeguard"):
            if det is None:
                det, ae_fit_s = fit_autoencoder(gallery, args)
            indices, stats = run_aeguard(det, method, gallery, queries)
            stats["fit_s"] = ae_fit_s
        else:
            indices, stats = run_sklearn(method, gallery, queries, args.seed)
        stats["p@10"] = precision_at_k(indices, train_y, test_y)
        rows[method] = stats
        print(f"{method}: done", file=sys.stderr, flush=True)

    def per_1k_ms(seconds):
        return seconds / len(queries) * 1000 * 1000

    print(f"{'method':16s} {'p@10':>7s} {'ms/1k':>9s} {'search_ms/1k':>12s} {'index_MB':>9s} "
          f"{'build_s':>8s} {'fit_s':>7s}")
    for method, s in rows.items():
        print(f"{method:16s} {s['p@10']:7.4f} {per_1k_ms(s['query_s']):9.1f} "
              f"{per_1k_ms(s['search_s']):12.1f} {s['index_bytes'] / 1e6:9.2f} "
              f"{s['build_s']:8.2f} {s['fit_s']:7.1f}")
    if "raw" in rows and "aeguard" in rows:
        raw, ae = rows["raw"], rows["aeguard"]
        print()
        print(f"aeguard vs raw: p@10 {ae['p@10']:.4f} vs {raw['p@10']:.4f} (target >=); index "
              f"{raw['index_bytes'] / ae['index_bytes']:.1f}x smaller (target >= 20x); queries "
              f"{raw['query_s'] / ae['query_s']:.1f}x faster (target >= 10x)")
    for method, width in code_widths.items():
        pca = rows.get(f"pca{2 * width}")
        if pca is None:
            continue
        ae = rows[method]
        # The target is the default code's; a jittered code is reported beside it.
        verdict = (f" (target: above; {'met' if ae['p@10'] > pca['p@10'] else 'not met'})"
                   if method == "aeguard-default" else "")
        name = "default" if method == "aeguard-default" else method
        print(f"{name} code (width {width}) vs PCA-{2 * width}: p@10 "
              f"{ae['p@10']:.4f} vs {pca['p@10']:.4f}{verdict}")
    if "aeguard" in rows and "aeguard-faiss" in rows:
        ae, fa = rows["aeguard"], rows["aeguard-faiss"]
        print(f"faiss vs exact: p@10 kept {100 * fa['p@10'] / ae['p@10']:.2f} % (target >= 99 %); "
              f"search {ae['search_s'] / fa['search_s']:.2f}x faster (target > 1x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
