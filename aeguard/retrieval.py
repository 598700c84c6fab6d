"""Nearest neighbours in latent space: the index behind the estimators' ``kneighbors``.

:class:`LatentIndex` answers k-nearest-neighbour queries over a gallery of
latent codes with one of two backends:

* ``"exact"``: scikit-learn's :class:`~sklearn.neighbors.NearestNeighbors`,
  always available;
* ``"faiss"``: an inverted-file index from faiss (``IndexIVFFlat``;
  ``pip install "aeguard[fast]"``): the codes are grouped around k-means
  centroids and a query compares itself only with the codes of its nearest
  groups. Approximate, but many times faster on large galleries, and it adds
  almost nothing to the codes' own memory (unlike a graph index such as HNSW,
  which measured three times the codes' size on MNIST).

``backend="auto"`` takes faiss when it is installed and the gallery holds at
least :data:`APPROXIMATE_MIN_ITEMS` codes, and the exact backend otherwise.
:class:`NeighborsMixin` gives an estimator ``index`` and ``kneighbors``.
"""

import importlib.util
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

METRICS = ("euclidean", "cosine")
BACKENDS = ("auto", "exact", "faiss")

#: Under backend="auto", galleries at least this large use faiss when it is installed.
APPROXIMATE_MIN_ITEMS = 20_000

#: IVF settings. Groups: about 4 sqrt(n), with at least this many codes each
#: (k-means needs them). Groups searched per query: a 30th of them, at least 8.
#: On MNIST codes this finds nearly all of the exact 10 nearest neighbours
#: (the benchmark notes give the figure).
IVF_MIN_PER_GROUP = 39
IVF_PROBE_FRACTION = 30
IVF_MIN_PROBES = 8


def ivf_sizes(n_items):
    """``(n_groups, n_probes)`` of the faiss index for a gallery of ``n_items`` codes."""
    n_groups = max(1, min(int(4 * np.sqrt(n_items)), n_items // IVF_MIN_PER_GROUP))
    n_probes = min(n_groups, max(IVF_MIN_PROBES, -(-n_groups // IVF_PROBE_FRACTION)))
    return n_groups, n_probes


def faiss_available():
    """Whether the optional faiss backend can be used."""
    return importlib.util.find_spec("faiss") is not None


class LatentIndex:
    """A k-nearest-neighbour index over latent codes.

    Parameters
    ----------
    metric : {"euclidean", "cosine"}, default="euclidean"
        Distance between codes. "cosine" is ``1 - cos(angle)``, as in
        scikit-learn.
    backend : {"auto", "exact", "faiss"}, default="auto"
        See the module docstring.

    Attributes
    ----------
    backend_ : str
        The backend actually used ("exact" or "faiss").
    n_items_ : int
        Codes in the gallery.

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard.retrieval import LatentIndex
    >>> codes = np.random.default_rng(0).normal(size=(100, 4))
    >>> distances, indices = LatentIndex(backend="exact").build(codes).query(codes[:2], 3)
    >>> indices[:, 0].tolist(), distances[:, 0].tolist()
    ([0, 1], [0.0, 0.0])
    """

    def __init__(self, metric="euclidean", backend="auto"):
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}.")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}.")
        if backend == "faiss" and not faiss_available():
            raise ValueError(
                "backend='faiss' needs the faiss library: pip install \"aeguard[fast]\" "
                "(or faiss-cpu), or use backend='exact'."
            )
        self.metric = metric
        self.backend = backend

    def build(self, codes):
        """Index ``codes`` of shape (n_items, latent_dim); return self."""
        codes = self._prepare(codes)
        self.n_items_, self.dim_ = codes.shape
        if self.backend == "auto":
            large = self.n_items_ >= APPROXIMATE_MIN_ITEMS
            self.backend_ = "faiss" if large and faiss_available() else "exact"
        else:
            self.backend_ = self.backend
        if self.backend_ == "faiss":
            import faiss

            n_groups, n_probes = ivf_sizes(self.n_items_)
            self._quantizer = faiss.IndexFlatL2(self.dim_)  # kept: the index refers to it
            self._index = faiss.IndexIVFFlat(self._quantizer, self.dim_, n_groups)
            self._index.train(codes)  # k-means, seeded by faiss itself: reproducible
            self._index.add(codes)
            self._index.nprobe = n_probes
        else:
            from sklearn.neighbors import NearestNeighbors

            # On unit vectors, euclidean order is cosine order; distances are converted below.
            self._index = NearestNeighbors(metric="euclidean").fit(codes)
        return self

    def query(self, codes, n_neighbors, *, exclude_self=False):
        """The ``n_neighbors`` nearest gallery items of each code.

        Parameters
        ----------
        codes : array-like of shape (n_queries, latent_dim)
            Query codes.
        n_neighbors : int
            Neighbours per query.
        exclude_self : bool, default=False
            The queries are the gallery itself, in order: leave each item out
            of its own neighbours (scikit-learn's ``kneighbors(X=None)``).

        Returns
        -------
        distances : ndarray of float64, shape (n_queries, n_neighbors)
            Ascending.
        indices : ndarray of int64, shape (n_queries, n_neighbors)
            Gallery positions.
        """
        codes = self._prepare(codes)
        k = n_neighbors + 1 if exclude_self else n_neighbors
        if len(codes) == 0:
            return np.zeros((0, n_neighbors)), np.zeros((0, n_neighbors), dtype=np.int64)
        if self.backend_ == "faiss":
            squared, indices = self._index.search(codes, k)
            short = np.flatnonzero((indices < 0).any(axis=1))
            if len(short):  # the searched groups held fewer than k codes: search them all
                probes, self._index.nprobe = self._index.nprobe, self._index.nlist
                squared[short], indices[short] = self._index.search(codes[short], k)
                self._index.nprobe = probes
            distances = np.sqrt(np.maximum(squared, 0.0))
        else:
            distances, indices = self._index.kneighbors(codes, k)
        distances, indices = distances.astype(np.float64), indices.astype(np.int64)
        if exclude_self:
            distances, indices = _drop_self(distances, indices)
        if self.metric == "cosine":
            distances = np.square(distances) / 2.0  # |a - b|^2 = 2 - 2 cos for unit vectors
        return distances, indices

    @property
    def nbytes(self):
        """Memory held by the index: the codes and the search structure, in bytes."""
        if self.backend_ == "faiss":
            import faiss

            return int(faiss.serialize_index(self._index).nbytes)
        fitted = self._index._fit_X
        tree = getattr(self._index, "_tree", None)
        extra = 0
        if tree is not None:
            arrays = tree.get_arrays()
            extra = sum(np.asarray(a).nbytes for a in arrays if a is not None)
            extra -= np.asarray(arrays[0]).nbytes  # the tree's copy of the data is counted once
        return int(fitted.nbytes + extra)

    def _prepare(self, codes):
        codes = np.ascontiguousarray(codes, dtype=np.float32)
        if codes.ndim != 2:
            raise ValueError(f"codes must have shape (n, latent_dim); got {codes.shape}.")
        if hasattr(self, "dim_") and codes.shape[1] != self.dim_:
            raise ValueError(
                f"codes have {codes.shape[1]} dimensions; the index holds {self.dim_}."
            )
        if self.metric == "cosine":
            norms = np.linalg.norm(codes, axis=1, keepdims=True)
            codes = codes / np.where(norms > 0, norms, 1.0)  # a zero code stays zero
        return codes


def _drop_self(distances, indices):
    """Remove each row's own index (row i is gallery item i), or its last neighbour if absent."""
    n, k = indices.shape
    own = indices == np.arange(n)[:, None]
    # Where an item is not among its own neighbours (ties), drop the farthest instead.
    missing = ~own.any(axis=1)
    own[missing, k - 1] = True
    # Keep only the first True per row.
    first = own & (np.cumsum(own, axis=1) == 1)
    keep = ~first
    return distances[keep].reshape(n, k - 1), indices[keep].reshape(n, k - 1)


class NeighborsMixin:
    """``index`` and ``kneighbors`` for estimators with latent codes.

    The estimator provides ``_latent(X, y=None)`` (the codes of X) and hands
    its training codes to :meth:`_set_gallery` at the end of ``fit``.
    """

    def _set_gallery(self, codes):
        """Make ``codes`` the gallery (exact or automatic backend, euclidean metric)."""
        self.gallery_codes_ = np.asarray(codes, dtype=np.float32)
        self.gallery_metric_, self.gallery_backend_ = "euclidean", "auto"
        self._neighbors_index = None  # built on the first query

    def index(self, X_gallery=None, y=None, *, metric="euclidean", backend="auto"):
        """Encode a gallery and index it for :meth:`kneighbors`.

        Parameters
        ----------
        X_gallery : array-like, default=None
            The items to search, of the kind seen in ``fit``; they replace the
            current gallery (by default the training data). None keeps the
            current gallery and only changes ``metric`` or ``backend``.
        y : array-like of shape (n_items,) or a label, default=None
            The gallery's class labels; needed only by a conditional VAE.
        metric : {"euclidean", "cosine"}, default="euclidean"
            Distance between latent codes.
        backend : {"auto", "exact", "faiss"}, default="auto"
            Exact scikit-learn search, or faiss's approximate inverted-file index
            (installed with ``pip install "aeguard[fast]"``). "auto" uses faiss
            for galleries of 20,000 items or more when it is installed.

        Returns
        -------
        self : object
            The estimator, with the new gallery.
        """
        check_is_fitted(self)
        index = LatentIndex(metric, backend)  # validates metric and backend
        if X_gallery is not None:
            self.gallery_codes_ = np.asarray(self._latent(X_gallery, y), dtype=np.float32)
        self.gallery_metric_, self.gallery_backend_ = metric, backend
        self._neighbors_index = index.build(self.gallery_codes_)
        return self

    def kneighbors(self, X=None, n_neighbors=5, return_distance=True, y=None):
        """Nearest gallery items of each sample of X, in latent space.

        Parameters
        ----------
        X : array-like, default=None
            Queries of the kind seen in ``fit``. None: the gallery items
            themselves, each left out of its own neighbours (as in
            scikit-learn's ``NearestNeighbors.kneighbors``).
        n_neighbors : int, default=5
            Neighbours per query.
        return_distance : bool, default=True
            Return the distances as well as the indices.
        y : array-like of shape (n_samples,) or a label, default=None
            X's class labels; needed only by a conditional VAE.

        Returns
        -------
        distances : ndarray of shape (n_queries, n_neighbors)
            Latent distances, ascending (only with ``return_distance``).
        indices : ndarray of shape (n_queries, n_neighbors)
            Positions in the gallery: the training data, or the last
            ``index(X_gallery)``.
        """
        check_is_fitted(self)
        index = self._latent_index()
        n_items = index.n_items_ - (1 if X is None else 0)
        if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, Integral):
            raise TypeError(f"n_neighbors must be an int, got {n_neighbors!r}.")
        if not 1 <= n_neighbors <= n_items:
            raise ValueError(
                f"n_neighbors must be between 1 and {n_items} (the gallery holds "
                f"{index.n_items_} items{', less the query itself' if X is None else ''}); "
                f"got {n_neighbors}."
            )
        if X is None:
            distances, indices = index.query(self.gallery_codes_, n_neighbors, exclude_self=True)
        else:
            distances, indices = index.query(self._latent(X, y), n_neighbors)
        return (distances, indices) if return_distance else indices

    def _latent_index(self):
        """The gallery's index, built on first use (after fit, unpickling or load)."""
        if getattr(self, "_neighbors_index", None) is None:
            metric = getattr(self, "gallery_metric_", "euclidean")
            backend = getattr(self, "gallery_backend_", "auto")
            if backend == "faiss" and not faiss_available():
                backend = "exact"  # a model saved with faiss, loaded without it
            self._neighbors_index = LatentIndex(metric, backend).build(self.gallery_codes_)
        return self._neighbors_index
