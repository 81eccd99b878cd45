"""Job dispatch with the Kaldi calling convention: ``LAUNCHER [options] [JOB=1:N] LOG COMMAND...``.

``utils/run.py`` is the executable recipes use (``$train_cmd`` in ``cmd.sh``). Backends share one task
wrapper (``task.py``) whose end marker in each log is the single source of truth for success.
"""
