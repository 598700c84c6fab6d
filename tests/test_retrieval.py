"""Nearest neighbours in latent space: kneighbors, index, backends and persistence."""

import pickle

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import NearestNeighbors

import aeguard
from aeguard import AEDetector, VAEDetector
from aeguard.retrieval import LatentIndex, _drop_self

N_GALLERY = 1400


@pytest.fixture(scope="module")
def digits_ae(digits_images):
    images, target = digits_images
    det = AEDetector(latent_dim=8, epochs=30, trim_fraction=0, random_state=0)
    return det.fit(images[:N_GALLERY]), images, target


def precision_at_k(indices, gallery_labels, query_labels):
    return float(np.mean(gallery_labels[indices] == np.asarray(query_labels)[:, None]))


def test_latent_neighbours_share_the_query_label(digits_ae):
    det, images, target = digits_ae
    indices = det.kneighbors(images[N_GALLERY:], n_neighbors=10, return_distance=False)
    assert indices.shape == (len(images) - N_GALLERY, 10)
    # Chance is about 0.1 with ten balanced digits.
    assert precision_at_k(indices, target[:N_GALLERY], target[N_GALLERY:]) > 0.7


def test_kneighbors_matches_exact_search_on_the_codes(digits_ae):
    det, images, _ = digits_ae
    codes = det.transform(images[:N_GALLERY]).astype(np.float32)
    queries = images[N_GALLERY:]
    expected = NearestNeighbors(n_neighbors=4).fit(codes).kneighbors(
        det.transform(queries).astype(np.float32)
    )
    distances, indices = det.kneighbors(queries, 4)
    np.testing.assert_allclose(distances, expected[0], rtol=1e-4, atol=1e-5)
    assert np.mean(indices == expected[1]) > 0.99  # only exact ties may be ordered differently


def test_no_query_means_the_gallery_without_each_item(digits_ae):
    det, images, target = digits_ae
    distances, indices = det.kneighbors(n_neighbors=5)
    assert indices.shape == (N_GALLERY, 5)
    assert not np.any(indices == np.arange(N_GALLERY)[:, None])
    assert np.all(np.diff(distances, axis=1) >= 0)
    assert precision_at_k(indices, target[:N_GALLERY], target[:N_GALLERY]) > 0.7


def test_index_replaces_the_gallery(digits_ae):
    det, images, target = digits_ae
    det = pickle.loads(pickle.dumps(det))  # keep the shared fixture's gallery
    gallery = images[N_GALLERY:]
    det.index(gallery)
    assert det.gallery_codes_.shape == (len(gallery), 8)
    distances, indices = det.kneighbors(gallery[:20], 1)
    np.testing.assert_array_equal(indices[:, 0], np.arange(20))  # each item finds itself
    assert np.allclose(distances, 0, atol=1e-5)
    indices = det.kneighbors(images[:N_GALLERY], 3, return_distance=False)
    assert indices.max() < len(gallery)
    assert precision_at_k(indices, target[N_GALLERY:], target[:N_GALLERY]) > 0.6


def test_cosine_metric(digits_ae):
    det, images, _ = digits_ae
    det = pickle.loads(pickle.dumps(det))
    det.index(metric="cosine")  # same gallery, new metric
    codes = det.transform(images[:N_GALLERY])
    expected = NearestNeighbors(n_neighbors=3, metric="cosine").fit(codes)
    distances, _ = det.kneighbors(images[N_GALLERY:], 3)
    want, _ = expected.kneighbors(det.transform(images[N_GALLERY:]))
    np.testing.assert_allclose(distances, want, atol=1e-5)
    assert distances.min() >= 0 and distances.max() <= 2


def test_neighbours_survive_save_load_and_pickle(digits_ae, tmp_path):
    det, images, _ = digits_ae
    det = pickle.loads(pickle.dumps(det))
    det.index(images[N_GALLERY:], metric="cosine")
    expected = det.kneighbors(images[:50], 5)
    aeguard.save(det, tmp_path / "retrieval.aeg")
    loaded = aeguard.load(tmp_path / "retrieval.aeg")
    assert loaded.gallery_metric_ == "cosine"
    np.testing.assert_array_equal(loaded.gallery_codes_, det.gallery_codes_)
    for copy in (loaded, pickle.loads(pickle.dumps(det))):
        got = copy.kneighbors(images[:50], 5)
        np.testing.assert_array_equal(got[1], expected[1])
        np.testing.assert_array_equal(got[0], expected[0])


def test_a_loaded_model_does_not_encode_its_gallery_again(digits_ae, tmp_path, monkeypatch):
    det, images, _ = digits_ae
    aeguard.save(det, tmp_path / "m.aeg")
    loaded = aeguard.load(tmp_path / "m.aeg")
    encoded = []
    original = type(loaded)._latent
    monkeypatch.setattr(type(loaded), "_latent", lambda self, X, y=None: encoded.append(len(X))
                        or original(self, X, y))
    loaded.kneighbors(images[:7], 2)
    assert encoded == [7]  # only the queries


def test_faiss_backend_agrees_with_the_exact_one(digits_ae):
    det, images, target = digits_ae
    det = pickle.loads(pickle.dumps(det))
    exact = det.kneighbors(images[N_GALLERY:], 10, return_distance=False)
    det.index(backend="faiss")
    assert det._latent_index().backend_ == "faiss"
    approx = det.kneighbors(images[N_GALLERY:], 10, return_distance=False)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)])
    assert recall > 0.95
    self_excluded = det.kneighbors(n_neighbors=3, return_distance=False)
    assert not np.any(self_excluded == np.arange(N_GALLERY)[:, None])


def test_auto_backend_is_exact_for_a_small_gallery(digits_ae):
    det, _, _ = digits_ae
    assert det._latent_index().backend_ == "exact"


def test_conditional_vae_neighbours_need_labels(digits_images):
    images, target = digits_images
    vae = VAEDetector(conditional=True, latent_dim=4, epochs=2, random_state=0).fit(images, target)
    assert vae.gallery_codes_.shape == (len(images), 4)
    with pytest.raises(ValueError, match="kneighbors needs the class labels y"):
        vae.kneighbors(images[:3])
    assert vae.kneighbors(images[:3], 2, y=target[:3])[1].shape == (3, 2)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda d, X: d.kneighbors(X, 0), ValueError, "n_neighbors must be between 1 and"),
        (lambda d, X: d.kneighbors(X, N_GALLERY + 1), ValueError, f"holds {N_GALLERY} items"),
        (lambda d, X: d.kneighbors(None, N_GALLERY), ValueError, "less the query itself"),
        (lambda d, X: d.kneighbors(X, 2.5), TypeError, "n_neighbors must be an int"),
        (lambda d, X: d.index(metric="manhattan"), ValueError, "metric must be one of"),
        (lambda d, X: d.index(backend="annoy"), ValueError, "backend must be one of"),
        (lambda d, X: d.kneighbors(X.reshape(len(X), -1)), ValueError, "images of shape"),
    ],
)
def test_bad_requests_are_named(digits_ae, call, error, match):
    det, images, _ = digits_ae
    with pytest.raises(error, match=match):
        call(det, images[:3])


def test_kneighbors_before_fit():
    with pytest.raises(NotFittedError):
        AEDetector().kneighbors(np.zeros((2, 3)))


def test_drop_self_handles_ties_and_missing_self():
    distances = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 2.0], [0.5, 0.6, 0.7]])
    # Row 0 finds itself second (a duplicate tied first); row 2 does not find itself.
    indices = np.array([[5, 0, 3], [1, 7, 4], [8, 9, 4]])
    d, i = _drop_self(distances, indices)
    np.testing.assert_array_equal(i, [[5, 3], [7, 4], [8, 9]])
    np.testing.assert_array_equal(d, [[0.0, 1.0], [0.0, 2.0], [0.5, 0.6]])


def test_latent_index_checks_its_input():
    index = LatentIndex(backend="exact").build(np.eye(3))
    with pytest.raises(ValueError, match="the index holds 3"):
        index.query(np.zeros((1, 4)), 1)
    assert index.query(np.zeros((0, 3)), 2)[1].shape == (0, 2)
    assert index.nbytes >= 3 * 3 * 4


def test_faiss_backend_without_faiss_says_how_to_install(monkeypatch, digits_ae, tmp_path):
    import aeguard.retrieval as retrieval

    monkeypatch.setattr(retrieval, "faiss_available", lambda: False)
    with pytest.raises(ValueError, match=r'pip install "aeguard\[fast\]"'):
        LatentIndex(backend="faiss")
    # A model indexed with faiss still answers (exactly) where faiss is missing.
    det, images, _ = digits_ae
    det = pickle.loads(pickle.dumps(det))
    monkeypatch.undo()
    det.index(backend="faiss")
    aeguard.save(det, tmp_path / "f.aeg")
    monkeypatch.setattr(retrieval, "faiss_available", lambda: False)
    loaded = aeguard.load(tmp_path / "f.aeg")
    assert loaded._latent_index().backend_ == "exact"
    assert loaded.kneighbors(images[:2], 3)[1].shape == (2, 3)


def test_faiss_index_sizes_and_small_groups():
    from aeguard.retrieval import ivf_sizes

    assert ivf_sizes(60_000) == (979, 33)
    assert ivf_sizes(50) == (1, 1)
    # Queries whose searched groups hold fewer than k codes still get k neighbours.
    codes = np.random.default_rng(0).normal(size=(400, 3))
    index = LatentIndex(backend="faiss").build(codes)
    distances, indices = index.query(codes[:20], 60)
    assert (indices >= 0).all() and indices.shape == (20, 60)
    exact = LatentIndex(backend="exact").build(codes).query(codes[:20], 60)[1]
    assert np.mean([len(set(a) & set(b)) / 60 for a, b in zip(indices, exact)]) > 0.95
