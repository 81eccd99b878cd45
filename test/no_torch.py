"""Run ``python -m sqe.bin.<verb>`` with torch unimportable (a meta-path finder refuses it; setting
sys.modules["torch"] = None would break scipy's optional-import probes): ``[sys.executable, "-c", SCRIPT, verb,
*args]``. The last stdout line says whether torch was imported after all."""

SCRIPT = """
import runpy, sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked in this test")
sys.meta_path.insert(0, NoTorch())
verb = sys.argv[1]
sys.argv = [verb, *sys.argv[2:]]
try:
    runpy.run_module("sqe.bin." + verb, run_name="__main__")
finally:
    print("TORCH_IMPORTED", "torch" in sys.modules, flush=True)
"""
