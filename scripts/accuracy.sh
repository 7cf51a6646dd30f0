#!/usr/bin/env bash
# Reproduces the numbers and the plots of docs/accuracy.md: every model on the same held-out layers
# of every public dataset and of this repository's CPU measurements, learning curves, active vs
# random sampling, the work mappings inferred with the kernel names hidden, and the SVGs (into
# docs/plots/: predicted vs measured, learning curves and a staircase per GPU; docs/cpu-staircase.svg).
# Needs a build (scripts/build.sh); reads the public datasets of data/public/ (or $CONVLAT_DATASETS).
# Writes Markdown to stdout. `scripts/accuracy.sh --plots_only` redraws the GPU plots alone.
set -euo pipefail
cd "$(dirname "$0")/.."
eval_tool=build/client/convlat-eval
datasets="${CONVLAT_DATASETS:-data/public}/neusight-conv3x3"
common=(--folds 5 --curve 25,50,100,200,500,1000 --repeats 3 --active 25,50,100,200,500 --worst 5)
plots=docs/plots
mkdir -p "$plots"

# The pictures: each NeuSight GPU (held-out split, learning curves of every model, a staircase
# along k), and one Justus GPU with the faster models (xgboost and the forest take 15-30 min there).
gpu_plots() {
  for gpu in Tesla_T4 Tesla_V100-PCIE-32GB NVIDIA_A100_80GB_PCIe; do
    "$eval_tool" --neusight "$datasets/$gpu.csv" --curve 25,50,100,200,500,1000 --repeats 1 --intervals=false \
      --plot_dir "$plots"
    echo
  done
  "$eval_tool" --justus "${CONVLAT_DATASETS:-data/public}/justus-conv/Tesla_M60.csv" \
    --models two-mode,roofline,flops-linear,nearest-neighbour --curve 50,200,1000 --repeats 1 --intervals=false \
    --plot_dir "$plots"
  echo
}
if [ "${1:-}" = "--plots_only" ]; then
  gpu_plots
  exit 0
fi

for gpu in Tesla_T4 Tesla_V100-PCIE-32GB NVIDIA_A100_80GB_PCIe; do
  if [ -f "$datasets/$gpu.csv" ]; then
    "$eval_tool" --neusight "$datasets/$gpu.csv" "${common[@]}"
  else
    echo "## $gpu: skipped, $datasets/$gpu.csv not found"
  fi
  echo
done

# Kernel names hidden: every NeuSight kernel treated as unknown, its tile and mapping read off its
# launch grids (model/two_mode/grid_mapping.h); the two-mode rows against those above.
for gpu in Tesla_T4 Tesla_V100-PCIE-32GB NVIDIA_A100_80GB_PCIe; do
  "$eval_tool" --neusight "$datasets/$gpu.csv" --hide_kernel_names --models two-mode --curve "" --intervals=false
  echo
done
gpu_plots

# The Justus et al. TensorFlow data: every kernel size and stride, no kernel names. One GPU with
# the held-out table only (the two-mode fit takes minutes on 12,510 layers); the others read alike.
"$eval_tool" --justus "${CONVLAT_DATASETS:-data/public}/justus-conv/Tesla_M60.csv" --curve "" --intervals_all_layers=false
echo
# The learning curves of the two-mode model and XGBoost on all five Justus GPUs at every size, five
# subsets each (docs/accuracy.md, "Every training size"; a few minutes in all).
for gpu in Tesla_K40 Tesla_K80 Tesla_M60 GTX_1080_Ti Tesla_V100; do
  "$eval_tool" --justus "${CONVLAT_DATASETS:-data/public}/justus-conv/$gpu.csv" --models two-mode,xgboost-gbdt \
    --curve 25,50,100,200,500,1000 --repeats 5 --intervals=false
  echo
done
# The 80 % prediction intervals on all five Justus GPUs at 50, 200 and 1,000 training layers (one
# subset each: a two-mode fit without kernel names is slow).
for gpu in Tesla_K40 Tesla_K80 Tesla_M60 GTX_1080_Ti Tesla_V100; do
  "$eval_tool" --justus "${CONVLAT_DATASETS:-data/public}/justus-conv/$gpu.csv" --models two-mode --intervals_only \
    --curve 50,200,1000 --repeats 1 --intervals_all_layers=false
  echo
done

cpu=data/measurements/cpu-epyc-2core
"$eval_tool" --csv "$cpu/staircase.csv,$cpu/default-sweep.csv" --platform "cpu-epyc-2core (oneDNN 2.6.3)" \
  --compute_units 2 "${common[@]}" --plot docs/cpu-staircase.svg --plot_layer n=1,c=64,h=28,w=28,r=3,s=3,pad=1 --plot_k_max 512
echo
# The same CPU in oneDNN's native (blocked) layout. Both CPU runs also report the other ops.
"$eval_tool" --csv "$cpu/native-staircase.csv,$cpu/native-default-sweep.csv" \
  --platform "cpu-epyc-2core native layout (oneDNN 2.6.3)" --compute_units 2 "${common[@]}"
