"""Offline speech for the embedded corpus: the project's sentence list and TTS voices (hibari, flite)."""
