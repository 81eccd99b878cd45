#!/usr/bin/env bash
# egs/mini: the offline recipe. It builds its own corpus (TTS speech, NISQA-like degradations, PESQ-WB
# labels, a LibriAugmented-style out-of-domain set) and needs no downloads. Stage table: README.md.

# Options: each one can be given as --name value (e.g. --stop_stage 2).
stage=1                     # first stage to run
stop_stage=100              # last stage to run
skip_stages=""              # stages not to run, e.g. "2"
nj=2                        # worker processes of the data stages
max_jobs=2                  # jobs at once in stages 5, 6, 8 and 9 (sets and models), each with nj/max_jobs threads
data_conf=conf/data.yaml    # corpus sizes, voices, degradations (conf/data_tiny.yaml: a CI-sized corpus)
mixup_set_conf=conf/mixup_set.yaml  # stage 6 (conf/mixup_set_tiny.yaml goes with conf/data_tiny.yaml)
overwrite=false             # true: rerun stages even when their outputs are up to date
ngpu=0                      # GPUs for training (0: CPU)
models="con1 con2"          # models trained on mix-up in stage 7 (conf/<model>.yaml); "sup2 con1 con2" adds the
                            # paper's MOS-only mix-up model of Tables 2-3 (about 2 minutes more; sup1 is also there)
encoder=distillmos          # distillmos: the frozen pretrained DistillMOS CNN (conf/*.yaml, exp/, dump/teacher);
                            # logmel: a log-mel CNN trained from scratch (conf/logmel/*.yaml, exp/logmel/,
                            # dump/logmel/teacher), tested on the evaluation sets of the default encoder
train_args=""               # extra options of every training (stages 3, 7), e.g. "--set optim.epochs=4"
vad_signal=degraded         # rVAD listens to the degraded signals (authors' code) or the references
cmd_backend=""              # job backend: local (default: $SQE_CMD_BACKEND, else local)

help_message=$(cat <<EOF
Usage: $0 [options]
  --stage N --stop_stage N   run stages N..M (default: all)      --skip_stages "N ..."
  --nj N                     worker processes (default: ${nj})     --data_conf YAML (default: ${data_conf})
  --max_jobs N               jobs at once in stages 5, 6, 8, 9 (default: ${max_jobs}; 1: one after the other)
  --mixup_set_conf YAML      stage 6 config (default: ${mixup_set_conf}; conf/mixup_set_tiny.yaml with data_tiny)
  --overwrite true|false     rerun up-to-date stages             --cmd_backend local
  --ngpu N                   GPUs for training (default: ${ngpu}: CPU)
  --encoder distillmos|logmel  the models' encoder (default: ${encoder}); logmel writes exp/logmel/ and needs
                             stages 1-6 of the default encoder (the shared evaluation sets)
  --train_args "..."         extra training options of stages 3 and 7 (e.g. "--set optim.epochs=4")
Stages:
  1  speech: TTS of the sentence pools, the vendored real speech, generated noises -> data/local/mini_speech
  2  corpus: degradations + PESQ-WB labels -> data/mini_{train,val,test,test_real,val_ood,test_ood,enroll_ood}
  3  train the Baseline (L_LSSQA; the teacher of the pseudo-targets) -> exp[/logmel]/baseline
  4  speech regions (rVAD of the --vad_signal degraded|reference signals) -> dump/vad/<set>
  5  teacher frame scores of degraded and reference signals -> dump[/logmel]/teacher/<set>
  6  fixed partial-mix-up sets (0.4-2.0 s segments; default encoder's teacher) -> data/mini_*_mixup
  7  train the mix-up models (--models "${models}") -> exp[/logmel]/<model>
  8  inference (frame MOS, embeddings) and clean enrollments -> exp[/logmel]/<model>/{infer,enroll}
  9  scoring: detection, verification, retrieval, clustering -> exp[/logmel]/<model>/results/<set>/metrics.json
 10  report: the paper's Tables 2-6 and Figures 2-3, encoders side by side -> exp/RESULTS.md, exp/report/
 11  model packages of the contrastive models (con*) -> exp[/logmel]/<model>/package/<model>.sqe[.zip]
 12  analysis of the real test recordings with the first package -> exp[/logmel]/<model>/analysis/mini_test_real_mixup
EOF
)
. utils/parse_options.sh
. ./path.sh || exit 1
. ./cmd.sh || exit 1
. utils/stage_lib.sh
set -euo pipefail

speech=data/local/mini_speech
corpus=data/local/mini_corpus
case "${encoder}" in
  distillmos) conf_dir=conf; exp_dir=exp; teacher_dir=dump/teacher ;;
  logmel) conf_dir=conf/logmel; exp_dir=exp/logmel; teacher_dir=dump/logmel/teacher ;;
  *) log "ERROR: --encoder must be distillmos or logmel, got '${encoder}'"; exit 2 ;;
esac
# The evaluation sets are made once, with the default encoder's Baseline as the constraint teacher, so that
# every encoder is tested on the same audio.
eval_teacher_dir=dump/teacher
extra=()
if [ "${overwrite}" = true ]; then extra+=(--overwrite); fi
read -r -a targs <<<"${train_args}"
job_threads=$(( nj / max_jobs > 0 ? nj / max_jobs : 1 ))  # threads of each job of the parallel stages

if stage_on 1 "speech: TTS, real speech and background noises -> ${speech}"; then
  run_stage "${train_cmd}" "${speech}/log/make_mini_speech.log" sqe.bin.make_mini_speech \
    --conf "${data_conf}" --num_workers "${nj}" --out "${speech}" "${extra[@]}"
fi

if stage_on 2 "corpus: degradations and PESQ-WB labels -> data/mini_*"; then
  require 1 "${speech}/train/wav.scp" "${speech}/test_ood/wav.scp" "${speech}/noise.scp"
  run_stage "${train_cmd}" "${corpus}/log/make_mini_corpus.log" sqe.bin.make_mini_corpus \
    --conf "${data_conf}" --num_workers "${nj}" --speech "${speech}" --data data --out "${corpus}" "${extra[@]}"
fi

if stage_on 3 "train the Baseline (L_LSSQA, the teacher) -> ${exp_dir}/baseline"; then
  require 2 data/mini_train/utt2mos data/mini_val/utt2mos
  run_stage "${cuda_cmd} --gpu ${ngpu} --num_threads ${nj}" "${exp_dir}/baseline/log/train.log" \
    sqe.bin.launch --ngpu "${ngpu}" -- sqe.bin.train --conf "${conf_dir}/baseline.yaml" --train_data data/mini_train \
    --valid_data data/mini_val --out "${exp_dir}/baseline" "${targs[@]}" "${extra[@]}"
fi

sets="mini_train mini_val mini_test mini_test_real mini_val_ood mini_test_ood"
eval_sets="mini_val mini_test mini_test_real mini_val_ood mini_test_ood"

if stage_on 4 "speech regions (rVAD of the ${vad_signal} signals) -> dump/vad/<set>"; then
  for set in ${sets}; do
    require 2 "data/${set}/ref.scp"
    # a JOB array over blocks of utterances, then one call that collects the blocks
    run_stage "${train_cmd} JOB=1:${nj}" "dump/vad/${set}/log/compute_vad.JOB.log" sqe.bin.compute_vad \
      --data "data/${set}" --out "dump/vad/${set}" --signal "${vad_signal}" --part JOB --nparts "${nj}" "${extra[@]}"
    run_stage "${train_cmd}" "dump/vad/${set}/log/compute_vad.log" sqe.bin.compute_vad \
      --data "data/${set}" --out "dump/vad/${set}" --signal "${vad_signal}" "${extra[@]}"
  done
fi

if stage_on 5 "teacher frame scores (${exp_dir}/baseline) -> ${teacher_dir}/<set>"; then
  require 3 "${exp_dir}/baseline/checkpoints/best.pt"
  for set in ${sets}; do
    run_stage_bg "${cuda_cmd} --gpu ${ngpu} --num_threads ${job_threads}" "${teacher_dir}/${set}/log/dump_frame_scores.log" \
      sqe.bin.dump_frame_scores --model "${exp_dir}/baseline/checkpoints/best.pt" --data "data/${set}" \
      --out "${teacher_dir}/${set}" "${extra[@]}"
  done
  wait_stages
fi

if stage_on 6 "fixed partial-mix-up sets -> data/<set>_mixup"; then
  for set in ${eval_sets}; do
    require 4 "dump/vad/${set}/vad_segments"
    if [ "${encoder}" = distillmos ]; then
      require 5 "${eval_teacher_dir}/${set}/qdeg.scp"
    else
      require "stage 5 of the default encoder (./run.sh --stage 3 --stop_stage 6)" "${eval_teacher_dir}/${set}/qdeg.scp"
    fi
    run_stage_bg "${train_cmd}" "data/${set}_mixup/log/make_mixup_set.log" sqe.bin.make_mixup_set \
      --conf "${mixup_set_conf}" --data "data/${set}" --scores "${eval_teacher_dir}/${set}" --vad "dump/vad/${set}" \
      --out "data/${set}_mixup" \
      "${extra[@]}"
  done
  wait_stages
fi

if stage_on 7 "train the mix-up models (${models:-none}) -> ${exp_dir}/<model>"; then
  if [ -n "${models// /}" ]; then  # no models (--models ""): nothing to train, nothing needed
    require 4 dump/vad/mini_train/vad_segments
    require 5 "${teacher_dir}/mini_train/qdeg.scp"
    require 6 data/mini_val_mixup/frame_cls.scp
  fi
  for model in ${models}; do
    run_stage "${cuda_cmd} --gpu ${ngpu} --num_threads ${nj}" "${exp_dir}/${model}/log/train.log" \
      sqe.bin.launch --ngpu "${ngpu}" -- sqe.bin.train --conf "${conf_dir}/${model}.yaml" --train_data data/mini_train \
      --valid_data data/mini_val --train_scores "${teacher_dir}/mini_train" --train_vad dump/vad/mini_train \
      --valid_mixup data/mini_val_mixup --out "${exp_dir}/${model}" "${targs[@]}" "${extra[@]}"
  done
fi

all_models="baseline ${models}"
test_sets=(mini_test_mixup mini_test_real_mixup mini_test_ood_mixup)
valid_sets=(mini_val_mixup mini_val_ood_mixup)

if stage_on 8 "inference and enrollment of ${all_models} -> ${exp_dir}/<model>/{infer,enroll}"; then
  for model in ${all_models}; do
    made_by=7; if [ "${model}" = baseline ]; then made_by=3; fi
    require "${made_by}" "${exp_dir}/${model}/checkpoints/best.pt"
    ckpt="${exp_dir}/${model}/checkpoints/best.pt"
    run_stage_bg "${cuda_cmd} --gpu ${ngpu} --num_threads ${job_threads}" "${exp_dir}/${model}/enroll/mini_val_ref/log/enroll.log" \
      sqe.bin.enroll --model "${ckpt}" --data data/mini_val --source ref.scp --out "${exp_dir}/${model}/enroll/mini_val_ref" \
      "${extra[@]}"
    run_stage_bg "${cuda_cmd} --gpu ${ngpu} --num_threads ${job_threads}" "${exp_dir}/${model}/enroll/mini_enroll_ood/log/enroll.log" \
      sqe.bin.enroll --model "${ckpt}" --data data/mini_enroll_ood --source wav.scp \
      --out "${exp_dir}/${model}/enroll/mini_enroll_ood" "${extra[@]}"
    for set in "${valid_sets[@]}" "${test_sets[@]}"; do
      run_stage_bg "${cuda_cmd} --gpu ${ngpu} --num_threads ${job_threads}" "${exp_dir}/${model}/infer/${set}/log/infer.log" \
        sqe.bin.infer --model "${ckpt}" --data "data/${set}" --out "${exp_dir}/${model}/infer/${set}" "${extra[@]}"
    done
  done
  wait_stages
fi

if stage_on 9 "scoring of ${all_models} on ${test_sets[*]} -> ${exp_dir}/<model>/results/<set>"; then
  for model in ${all_models}; do
    require 8 "${exp_dir}/${model}/infer/mini_test_mixup/q.scp" "${exp_dir}/${model}/enroll/mini_val_ref/enrollment.npz"
    for set in "${test_sets[@]}"; do
      if [ "${set}" = mini_test_ood_mixup ]; then
        # out-of-domain: enrollment = a held-out clean set (awb and two test-other speakers, as LibriTTS for
        # LibriAugmented); prototypes and thresholds from the out-of-domain validation split
        enroll=mini_enroll_ood
        valid_set=mini_val_ood_mixup
      else
        # in-domain (TTS and real speakers): enrollment = mini_val references; prototypes and thresholds from
        # the validation mix-up set
        enroll=mini_val_ref
        valid_set=mini_val_mixup
      fi
      valid=(--valid_infer "${exp_dir}/${model}/infer/${valid_set}" --valid_data "data/${valid_set}")
      mapfile -t detector < <(cross_detector "${model}" "${models}" "${exp_dir}" "${set}" "${enroll}")  # Table 6
      if [ ${#detector[@]} -gt 0 ]; then wait_stages; fi  # it reads the detecting model's results
      run_stage_bg "${train_cmd}" "${exp_dir}/${model}/results/${set}/log/score.log" sqe.bin.score --conf conf/score.yaml \
        --test_infer "${exp_dir}/${model}/infer/${set}" --test_data "data/${set}" --enroll "${exp_dir}/${model}/enroll/${enroll}" \
        "${valid[@]}" "${detector[@]}" --out "${exp_dir}/${model}/results/${set}" "${extra[@]}"
    done
  done
  wait_stages
fi

if stage_on 10 "report -> exp/RESULTS.md"; then
  require 9 exp/baseline/results/mini_test_mixup/metrics.json
  compare=()  # the other encoder's results, when that run exists, go side by side
  if [ -f exp/logmel/baseline/results/mini_test_mixup/metrics.json ]; then compare=(--compare "log-mel CNN=exp/logmel"); fi
  run_stage "${train_cmd}" exp/report/log/show_results.log sqe.bin.show_results --exp exp --label "DistillMOS CNN" \
    "${compare[@]}" --sets "${test_sets[@]}" --data data --results exp/RESULTS.md --out exp/report "${extra[@]}"
fi

mapfile -t packed_models < <(contrastive_models "${models}")  # they type degradations by their embeddings

if stage_on 11 "model packages of ${packed_models[*]:-no contrastive model} -> ${exp_dir}/<model>/package"; then
  for model in "${packed_models[@]}"; do
    require 9 "${exp_dir}/${model}/results/mini_test_mixup/metrics.json"
    run_stage "${train_cmd}" "${exp_dir}/${model}/package/log/pack_model.log" sqe.bin.pack_model \
      --exp "${exp_dir}/${model}" --valid_infer "${exp_dir}/${model}/infer/mini_val_mixup" \
      --valid_data data/mini_val_mixup --enroll "${exp_dir}/${model}/enroll/mini_val_ref" \
      --results "${test_sets[@]}" --zip true --out "${exp_dir}/${model}/package/${model}.sqe" "${extra[@]}"
  done
fi

if stage_on 12 "analysis of data/mini_test_real_mixup with ${packed_models[0]:-no package} -> ${exp_dir}/<model>/analysis"; then
  if [ "${#packed_models[@]}" -gt 0 ]; then
    model=${packed_models[0]}
    require 11 "${exp_dir}/${model}/package/${model}.sqe/package.json"
    run_stage "${cuda_cmd} --gpu ${ngpu} --num_threads ${nj}" "${exp_dir}/${model}/analysis/mini_test_real_mixup/log/analyze.log" \
      sqe.bin.analyze --model "${exp_dir}/${model}/package/${model}.sqe" --data data/mini_test_real_mixup \
      --reference data/mini_test_real_mixup/mix_segments --png_limit 8 --html --threads "${nj}" \
      --out "${exp_dir}/${model}/analysis/mini_test_real_mixup" "${extra[@]}"
  else
    log "no contrastive model (con*) in --models \"${models}\": no package to analyse with"
  fi
fi

log "finished (${SECONDS}s)"
