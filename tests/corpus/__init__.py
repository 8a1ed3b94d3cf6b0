"""The fuzz corpus: inputs with the verdict lws_mp must give (tests/test_fuzz_corpus.py)."""
