#!/usr/bin/env bash
# Regenerates the kernels' PTX resource from zbmd_kernels.cu. Run it after every change to the .cu
# (CudaPtxFreshnessTest fails until you do) and commit both files:
#
#   gpu-extension/src/main/cuda/build-ptx.sh
#
# Needs nvcc (any CUDA 11.x-13.x). What it does and why:
# - nvcc -ptx -arch=compute_75: virtual architecture Turing, so the driver JIT-compiles the PTX for
#   any GPU from sm_75 up (Turing, Ampere, Ada, Hopper, Blackwell).
# - The PTX ISA version nvcc writes is its own (CUDA 13.0 writes 9.0, which drivers older than
#   CUDA 13 refuse with CUDA_ERROR_UNSUPPORTED_PTX_VERSION). The kernels use nothing newer than
#   PTX ISA 6.3 (CUDA 10.0, the first with sm_75), so the script rewrites the .version line to
#   PTX_VERSION and then has ptxas compile the result for sm_75 and sm_90: ptxas rejects any
#   instruction the declared version does not have, so a kernel that needs more fails here.
# - The first lines record the sha256 of the .cu and the tool versions.
set -euo pipefail
PTX_VERSION=${PTX_VERSION:-6.3}
here=$(cd "$(dirname "$0")" && pwd)
src="$here/zbmd_kernels.cu"
out="$here/../resources/io/zbmd/gpu/cuda/zbmd_kernels.ptx"
NVCC=${NVCC:-nvcc}
PTXAS=${PTXAS:-$(dirname "$(command -v "$NVCC")")/ptxas}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

flags="-ptx -arch=compute_75 -O3 -std=c++17"
"$NVCC" $flags -o "$tmp/raw.ptx" "$src"
nvcc_version=$("$NVCC" --version | grep -o 'release [0-9.]*, V[0-9.]*')
original=$(grep -m1 '^\.version ' "$tmp/raw.ptx" | awk '{print $2}')
sha=$(sha256sum "$src" | awk '{print $1}')
{
  echo "// zbmd_kernels.ptx: generated from gpu-extension/src/main/cuda/zbmd_kernels.cu by build-ptx.sh; do not edit."
  echo "// source-sha256: $sha"
  echo "// nvcc $nvcc_version, flags: $flags; .version lowered from $original to $PTX_VERSION"
  # nvcc's own header comment names the build machine's compiler id only; keep the PTX proper.
  sed -e "s/^\.version .*/.version $PTX_VERSION/" "$tmp/raw.ptx" | grep -v '^// Compiler Build ID'
} > "$tmp/zbmd_kernels.ptx"
for arch in sm_75 sm_90; do
  "$PTXAS" -arch=$arch -o /dev/null "$tmp/zbmd_kernels.ptx"
done
mkdir -p "$(dirname "$out")"
cp "$tmp/zbmd_kernels.ptx" "$out"
echo "wrote $out (PTX ISA $PTX_VERSION, source sha256 $sha)"
