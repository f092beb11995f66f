"""Shingling and MinHash signatures: same values as datasketch, computed for a whole batch."""
import numpy as np
import pyarrow as pa
from datasketch import MinHash

from webcorpus.dedup.minhash import EMPTY, band_keys, lsh_parameters, signatures
from webcorpus.dedup.shingles import _string_hashes, normalized_words, shingle, word_hashes


def test_signature_equals_datasketch_minhash_of_the_same_shingles(texts):
    batch = texts[:40]
    sets = shingle(batch)
    sigs = signatures(sets, num_perm=128, seed=1)
    for i in range(len(batch)):
        reference = MinHash(num_perm=128, seed=1, hashfunc=int)  # datasketch's affine32 family
        reference.update_batch(sets.of(i).tolist())
        assert np.array_equal(reference.hashvalues, sigs[i]), i


def test_word_hashes_follow_the_plain_normalisation(texts):
    words = normalized_words(texts[:30])
    hashes, offsets = word_hashes(texts[:30])
    for i, doc in enumerate(words):
        assert offsets[i + 1] - offsets[i] == len(doc)
        assert np.array_equal(hashes[offsets[i] : offsets[i + 1]], _string_hashes(pa.array(doc, pa.string())))


def test_normalisation_ignores_case_punctuation_digits_and_width():
    a = "The Quick, brown fox jumped over 12 lazy dogs!"
    b = "the quick brown fox -- jumped over 47 LAZY dogs"
    c = "Ｔｈｅ ｑｕｉｃｋ brown fox jumped over 99 lazy dogs."  # full-width letters (NFKC)
    d = "the quick brown fox jumped over many lazy dogs"
    sets = shingle([a, b, c, d])
    assert np.array_equal(sets.of(0), sets.of(1))
    assert np.array_equal(sets.of(0), sets.of(2))
    assert not np.array_equal(sets.of(0), sets.of(3))
    assert normalized_words(["end.Next ½"]) == [["end", "next", "0", "0"]]


def test_short_and_empty_documents():
    sets = shingle(["one two three", "one two three", "three two one", "", None, "  ...  "], n=5)
    assert sets.counts.tolist() == [1, 1, 1, 0, 0, 0]
    assert sets.of(0)[0] == sets.of(1)[0] != sets.of(2)[0]
    sigs = signatures(sets)
    assert (sigs[3:] == EMPTY).all() and (sigs[:3] != EMPTY).any(axis=1).all()


def test_shingles_are_sorted_sets_and_count_windows():
    words = [f"w{chr(97 + i)}" for i in range(20)]  # letters: digits would all normalise to 0
    text = " ".join(words + words[:5])
    sets = shingle([text], n=5)
    assert len(sets.of(0)) == 20  # 25 words, 21 windows, the last repeats the first: 20 distinct
    assert np.all(np.diff(sets.of(0).astype(np.int64)) > 0)


def test_band_keys_match_exactly_when_band_values_match():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, size=(3, 128), dtype=np.uint32)
    sigs[1] = sigs[0]
    sigs[1, 8:] = rng.integers(0, 2**32, size=120, dtype=np.uint32)  # only band 0 (rows 0..7) shared
    keys = band_keys(sigs, 16, 8)
    assert keys[0, 0] == keys[1, 0] and (keys[0, 1:] != keys[1, 1:]).all()
    assert len(set(keys[:, 0].tolist()) | set(keys[2].tolist())) == 17


def test_lsh_parameters_come_from_datasketch_and_favour_recall_when_confirmed():
    from datasketch.lsh import _optimal_param

    assert lsh_parameters(0.8, 128, 0.5) == _optimal_param(0.8, 128, 0.5, 0.5)
    bands, rows = lsh_parameters(0.8, 128, 0.95)
    assert bands * rows <= 128
    assert 1 - (1 - 0.8**rows) ** bands > 0.9  # a pair exactly at the threshold is usually a candidate
