#!/usr/bin/env bash
# egs/nisqa: the paper's in-domain experiments. Trains Baseline, SUP1, SUP2, CON1, CON2 on NISQA_TRAIN_SIM
# (+ BVCC) and evaluates them on NISQA_TEST_SIM-partial-mixup (Tables 2, 4, 6). Stage table: README.md.

# Options: each one can be given as --name value.
stage=1                     # first stage to run
stop_stage=100              # last stage to run
skip_stages=""              # stages not to run, e.g. "2"
nj=8                        # parallel jobs of the data stages
max_jobs=1                  # jobs at once in stages 5-9 (sets, models); on Slurm e.g. 4: each job gets its own node
ngpu=1                      # GPUs per training job (>1: DDP with torchrun); 0 = CPU
models="sup1 sup2 con1 con2"  # models trained on mix-up in stage 7 (conf/<model>.yaml)
encoder=""                  # pretrained encoder: hub name or local directory (default: the configs' value,
                            # facebook/wav2vec2-large-robust); offline machines need a local directory
nisqa_resample=on_the_fly   # NISQA's 48 kHz files: resampled on_the_fly or converted once
train_args=""               # extra options of every training, e.g. "--set optim.epochs=50 batch.max_utts=32"
loader_workers=8            # processes per training rank that read, resample and mix the batches (0: the rank itself)
overwrite=false             # true: rerun stages even when their outputs are up to date
mixup_set_conf=conf/mixup_set.yaml  # stage 6: the evaluation sets (teacher constraints, as the paper)
vad_signal=degraded         # rVAD listens to the degraded signals (authors' code) or the references
forms=code                  # loss and model forms: code = the authors' released code (conf/<model>.yaml), which the
                            # published numbers come from; paper = the paper text's (conf/paper/<model>.yaml; writes
                            # exp/forms_paper/ and dump/forms_paper/teacher, tested on the default forms' sets)
cmd_backend=""              # job backend: local or slurm (default: $SQE_CMD_BACKEND, else local)

help_message=$(cat <<EOF
Usage: $0 [options]        (corpus paths: db.sh)
  --stage N --stop_stage N   run stages N..M (default: all)       --skip_stages "N ..."
  --nj N                     parallel data jobs (default: ${nj})    --ngpu N  GPUs per training job (default: ${ngpu})
  --max_jobs N               jobs at once in stages 5-9 (default: ${max_jobs}: one after the other; the local
                             backend shares this machine's GPUs between them, Slurm queues each on its own)
  --models "..."             mix-up models (default: ${models})
  --encoder NAME_OR_DIR      pretrained wav2vec2 (hub name or local dir)
  --train_args "..."         extra training options (e.g. "--set optim.epochs=50")
  --loader_workers N         batch-making processes per training rank (default: ${loader_workers}; 0: none)
  --forms code|paper         loss/model forms: the authors' code (default, conf/) or the paper text (conf/paper/)
  --mixup_set_conf YAML      stage 6's config (default: ${mixup_set_conf})
  --overwrite true|false     rerun up-to-date stages              --cmd_backend local|slurm
Stages:
  1  NISQA corpus -> data/nisqa_{train_sim,val_sim,test_for,test_p501,test_sim,...}   (db.sh: NISQA)
  2  BVCC -> data/bvcc_{train,val,test}                                              (db.sh: BVCC)
  3  train the Baseline (L_LSSQA; the teacher) -> exp/baseline
  4  speech regions (rVAD of the --vad_signal degraded|reference signals) -> dump/vad/<set>
  5  teacher frame scores -> dump/teacher/<set>
  6  fixed partial-mix-up sets -> data/nisqa_{val_sim,test_sim}_mixup
  7  train the mix-up models (--models) -> exp/<model>
  8  inference and enrollment (NISQA_VAL_SIM references) -> exp/<model>/{infer,enroll}
  9  scoring -> exp/<model>/results/nisqa_test_sim_mixup/metrics.json
 10  report (Tables 2, 4, 6; Figures 2, 3) -> exp/RESULTS.md
 11  model packages of the contrastive models (con*) -> exp/<model>/package/<model>.sqe[.zip]
EOF
)
. utils/parse_options.sh
. ./path.sh || exit 1
. ./cmd.sh || exit 1
. ./db.sh
. utils/stage_lib.sh
set -euo pipefail

case "${forms}" in
  code) conf_dir=conf; exp_dir=exp; teacher_dir=dump/teacher ;;
  paper) conf_dir=conf/paper; exp_dir=exp/forms_paper; teacher_dir=dump/forms_paper/teacher ;;
  *) log "ERROR: --forms must be code or paper, got '${forms}'"; exit 2 ;;
esac
# The evaluation sets are made once, with the default forms' Baseline as the constraint teacher, so both sets
# of forms are tested on the same audio.
eval_teacher_dir=dump/teacher
extra=()
if [ "${overwrite}" = true ]; then extra+=(--overwrite); fi
enc=()
if [ -n "${encoder}" ]; then enc+=(--set "model.encoder_conf.name_or_path=${encoder}"); fi
read -r -a targs <<<"${train_args}"
enc+=("${targs[@]}" --set "batch.num_workers=${loader_workers}")
train_threads=$(( (ngpu > 1 ? ngpu : 1) * (loader_workers + 1) ))  # CPU cores a training job asks for
sets="nisqa_train_sim nisqa_val_sim nisqa_test_sim"
all_models="baseline ${models}"
train_data=(data/nisqa_train_sim data/bvcc_train)  # the parallel corpus first: it is the one mixed
valid_data=(data/nisqa_val_sim data/bvcc_val)

if stage_on 1 "NISQA corpus -> data/nisqa_*"; then
  [ -n "${NISQA}" ] || { log "ERROR: set NISQA in db.sh (or the environment) to the NISQA_Corpus directory"; exit 1; }
  run_stage "${train_cmd} --num_threads ${nj}" data/local/nisqa/log/prepare_nisqa.log sqe.bin.prepare_nisqa \
    --corpus "${NISQA}" --data data --resample "${nisqa_resample}" --num_workers "${nj}" --out data/local/nisqa \
    "${extra[@]}"
fi

if stage_on 2 "BVCC -> data/bvcc_*"; then
  [ -n "${BVCC}" ] || { log "ERROR: set BVCC in db.sh (or the environment) to BVCC's 'main' directory"; exit 1; }
  run_stage "${train_cmd}" data/local/bvcc/log/prepare_bvcc.log sqe.bin.prepare_bvcc --corpus "${BVCC}" \
    --data data --out data/local/bvcc "${extra[@]}"
fi

if stage_on 3 "train the Baseline (L_LSSQA, the teacher) -> ${exp_dir}/baseline"; then
  require 1 data/nisqa_train_sim/utt2mos data/nisqa_val_sim/utt2mos
  require 2 data/bvcc_train/utt2mos data/bvcc_val/utt2mos
  run_stage "${cuda_cmd} --gpu ${ngpu} --num_threads ${train_threads}" "${exp_dir}/baseline/log/train.log" \
    sqe.bin.launch --ngpu "${ngpu}" -- sqe.bin.train --conf "${conf_dir}/baseline.yaml" \
    --train_data "${train_data[@]}" --valid_data "${valid_data[@]}" --out "${exp_dir}/baseline" \
    "${enc[@]}" "${extra[@]}"
fi

if stage_on 4 "speech regions (rVAD of the ${vad_signal} signals) -> dump/vad/<set>"; then
  for set in ${sets}; do
    require 1 "data/${set}/ref.scp"
    run_stage "${train_cmd} JOB=1:${nj}" "dump/vad/${set}/log/compute_vad.JOB.log" sqe.bin.compute_vad \
      --data "data/${set}" --out "dump/vad/${set}" --signal "${vad_signal}" --part JOB --nparts "${nj}" "${extra[@]}"
    run_stage "${train_cmd}" "dump/vad/${set}/log/compute_vad.log" sqe.bin.compute_vad \
      --data "data/${set}" --out "dump/vad/${set}" --signal "${vad_signal}" "${extra[@]}"
  done
fi

if stage_on 5 "teacher frame scores (${exp_dir}/baseline) -> ${teacher_dir}/<set>"; then
  require 3 "${exp_dir}/baseline/checkpoints/best.pt"
  for set in ${sets}; do
    run_stage_bg "${cuda_cmd} --gpu $((ngpu > 0 ? 1 : 0))" "${teacher_dir}/${set}/log/dump_frame_scores.log" \
      sqe.bin.dump_frame_scores --model "${exp_dir}/baseline/checkpoints/best.pt" --data "data/${set}" \
      --out "${teacher_dir}/${set}" "${extra[@]}"
  done
  wait_stages
fi

if stage_on 6 "fixed partial-mix-up sets -> data/<set>_mixup"; then
  for set in nisqa_val_sim nisqa_test_sim; do
    require 4 "dump/vad/${set}/vad_segments"
    if [ "${forms}" = code ]; then
      require 5 "${eval_teacher_dir}/${set}/qdeg.scp"
    else
      require "stage 5 of the default forms (./run.sh --stage 3 --stop_stage 6)" "${eval_teacher_dir}/${set}/qdeg.scp"
    fi
    run_stage_bg "${train_cmd}" "data/${set}_mixup/log/make_mixup_set.log" sqe.bin.make_mixup_set \
      --conf "${mixup_set_conf}" --data "data/${set}" --scores "${eval_teacher_dir}/${set}" --vad "dump/vad/${set}" \
      --out "data/${set}_mixup" "${extra[@]}"
  done
  wait_stages
fi

if stage_on 7 "train the mix-up models (${models:-none}) -> ${exp_dir}/<model>"; then
  if [ -n "${models// /}" ]; then  # no models (--models ""): nothing to train, nothing needed
    require 4 dump/vad/nisqa_train_sim/vad_segments
    require 5 "${teacher_dir}/nisqa_train_sim/qdeg.scp"
    require 6 data/nisqa_val_sim_mixup/frame_cls.scp
  fi
  for model in ${models}; do
    run_stage_bg "${cuda_cmd} --gpu ${ngpu} --num_threads ${train_threads}" "${exp_dir}/${model}/log/train.log" \
      sqe.bin.launch --ngpu "${ngpu}" -- sqe.bin.train --conf "${conf_dir}/${model}.yaml" \
      --train_data "${train_data[@]}" --valid_data "${valid_data[@]}" --train_scores "${teacher_dir}/nisqa_train_sim" \
      --train_vad dump/vad/nisqa_train_sim --valid_mixup data/nisqa_val_sim_mixup --out "${exp_dir}/${model}" \
      "${enc[@]}" "${extra[@]}"
  done
  wait_stages
fi

if stage_on 8 "inference and enrollment of ${all_models} -> ${exp_dir}/<model>/{infer,enroll}"; then
  for model in ${all_models}; do
    made_by=7; if [ "${model}" = baseline ]; then made_by=3; fi
    require "${made_by}" "${exp_dir}/${model}/checkpoints/best.pt"
    ckpt="${exp_dir}/${model}/checkpoints/best.pt"
    run_stage_bg "${cuda_cmd} --gpu $((ngpu > 0 ? 1 : 0))" \
      "${exp_dir}/${model}/enroll/nisqa_val_sim_ref/log/enroll.log" \
      sqe.bin.enroll --model "${ckpt}" --data data/nisqa_val_sim --source ref.scp \
      --out "${exp_dir}/${model}/enroll/nisqa_val_sim_ref" "${extra[@]}"
    for set in nisqa_val_sim_mixup nisqa_test_sim_mixup; do
      run_stage_bg "${cuda_cmd} --gpu $((ngpu > 0 ? 1 : 0))" "${exp_dir}/${model}/infer/${set}/log/infer.log" \
        sqe.bin.infer --model "${ckpt}" --data "data/${set}" --out "${exp_dir}/${model}/infer/${set}" "${extra[@]}"
    done
  done
  wait_stages
fi

if stage_on 9 "scoring of ${all_models} on nisqa_test_sim_mixup -> ${exp_dir}/<model>/results"; then
  for model in ${all_models}; do
    require 8 "${exp_dir}/${model}/infer/nisqa_test_sim_mixup/q.scp"
    # Table 6: CON2 also scored with CON1's detections
    mapfile -t detector < <(cross_detector "${model}" "${models}" "${exp_dir}" nisqa_test_sim_mixup nisqa_val_sim_ref)
    if [ ${#detector[@]} -gt 0 ]; then wait_stages; fi  # it reads the detecting model's results
    run_stage_bg "${train_cmd}" "${exp_dir}/${model}/results/nisqa_test_sim_mixup/log/score.log" sqe.bin.score \
      --test_infer "${exp_dir}/${model}/infer/nisqa_test_sim_mixup" --test_data data/nisqa_test_sim_mixup \
      --valid_infer "${exp_dir}/${model}/infer/nisqa_val_sim_mixup" --valid_data data/nisqa_val_sim_mixup \
      --enroll "${exp_dir}/${model}/enroll/nisqa_val_sim_ref" "${detector[@]}" \
      --out "${exp_dir}/${model}/results/nisqa_test_sim_mixup" "${extra[@]}"
  done
  wait_stages
fi

if stage_on 10 "report -> ${exp_dir}/RESULTS.md"; then
  require 9 "${exp_dir}/baseline/results/nisqa_test_sim_mixup/metrics.json"
  run_stage "${train_cmd}" "${exp_dir}/report/log/show_results.log" sqe.bin.show_results --exp "${exp_dir}" \
    --sets nisqa_test_sim_mixup --data data --results "${exp_dir}/RESULTS.md" --out "${exp_dir}/report" "${extra[@]}"
fi

mapfile -t packed_models < <(contrastive_models "${models}")  # they type degradations by their embeddings

if stage_on 11 "model packages of ${packed_models[*]:-no contrastive model} -> ${exp_dir}/<model>/package"; then
  for model in "${packed_models[@]}"; do
    require 9 "${exp_dir}/${model}/results/nisqa_test_sim_mixup/metrics.json"
    run_stage "${train_cmd}" "${exp_dir}/${model}/package/log/pack_model.log" sqe.bin.pack_model \
      --exp "${exp_dir}/${model}" \
      --valid_infer "${exp_dir}/${model}/infer/nisqa_val_sim_mixup" --valid_data data/nisqa_val_sim_mixup \
      --enroll "${exp_dir}/${model}/enroll/nisqa_val_sim_ref" --results nisqa_test_sim_mixup --zip true \
      --out "${exp_dir}/${model}/package/${model}.sqe" "${extra[@]}"
  done
fi

log "finished (${SECONDS}s)"
