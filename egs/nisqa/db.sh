#!/usr/bin/env bash
# Where the corpora are: one variable per corpus root, empty = not available on this machine. Nothing is
# downloaded by the recipes (see README.md for where to get each corpus). A variable set in the environment
# wins, so a site can keep its paths out of this file.
export NISQA=${NISQA:-}              # the NISQA_Corpus directory (NISQA_TRAIN_SIM/, NISQA_VAL_SIM/, ...)
export BVCC=${BVCC:-}                # the 'main' directory of BVCC (DATA/wav, DATA/sets)
export LIBRISPEECH=${LIBRISPEECH:-}  # the directory holding LibriSpeech/{dev-clean,test-clean}
export LIBRITTS=${LIBRITTS:-}        # the directory holding LibriTTS/dev-clean
export CHIME3=${CHIME3:-}            # the CHiME3 directory (data/audio/16kHz/backgrounds)
