# Checkpointed `pinch equilibrate` runs shared by the sampling benchmarks (sourced, not run).
# The caller sets `pinch` (the executable), `n` (particles) and works in its work directory.

# tau_alpha [sweeps] at N = 2,000 as measured before (docs/sampling.md): it sets run lengths and the
# lags F_s is followed to, never a result.
declare -A expected=([1.0]=700 [0.7]=2000 [0.6]=3800 [0.5]=10400 [0.45]=20800 [0.4]=40000)

swap_arguments() { # "p:d", or "default" for the defaults
  [[ $1 == default ]] && return 0
  local p=${1%%:*} d=${1##*:}
  echo "--swap-probability $p"
  [[ $d != none ]] && echo "--max-size-difference $d"
  return 0
}
schedule_for() { # T
  local tau=${expected[$1]}
  local origin=$(((tau / 10 / 20 + 1) * 20))
  echo "--measure-interval 20 --origin-interval $origin --max-lag $(((3 * tau / origin + 1) * origin))"
}

# Resumed if interrupted, skipped if finished.
stationary_run() { # NAME ARGS...
  local name=$1
  shift
  if [[ -f $name.h5 ]]; then return 0; fi
  if [[ -f $name.checkpoint.h5 ]]; then
    "$pinch" equilibrate --resume --out "$name.h5" --until-stationary --log-level warn \
      --checkpoint-minutes 5 >>"$name.log" 2>&1
  else
    "$pinch" equilibrate --out "$name.h5" --until-stationary --log-level warn \
      --checkpoint-minutes 5 "$@" >>"$name.log" 2>&1
  fi
}
fixed_run() { # NAME ARGS...
  local name=$1
  shift
  if [[ -f $name.h5 ]]; then return 0; fi
  if [[ -f $name.checkpoint.h5 ]]; then
    "$pinch" equilibrate --resume --out "$name.h5" --log-level warn --checkpoint-minutes 5 \
      >>"$name.log" 2>&1
  else
    "$pinch" equilibrate --out "$name.h5" --log-level warn --checkpoint-minutes 5 "$@" \
      >>"$name.log" 2>&1
  fi
}
# A stationary test run from a random start or a ladder start, at most 80 expected tau_alpha.
to_stationarity() { # NAME T SWAP START(random|FILE) [BURN_IN]
  local name=$1 t=$2 swap=$3 start=$4 burn_in=${5:-}
  local from=(-n "$n")
  [[ $start != random ]] && from=(--in "$start")
  local extra=()
  [[ -n $burn_in ]] && extra=(--burn-in-tau-alpha "$burn_in")
  # shellcheck disable=SC2046
  stationary_run "$name" "${from[@]}" --seed 7 -t "$t" --sweeps $((80 * ${expected[$t]})) \
    --tau-alpha-multiple 16 $(schedule_for "$t") $(swap_arguments "$swap") "${extra[@]}"
}
# A sweep's cost: short runs of today's and the tuned parameters, alternated three times from one
# stationary state, so that the machine's drifts hit both alike.
speed_runs() { # T START TUNED
  for rep in 1 2 3; do
    for variant in default:default "tuned:$3"; do
      local name=${variant%%:*} swap=${variant#*:}
      # shellcheck disable=SC2046
      fixed_run "speed-$name-$1-$rep" --in "$2" --seed $((30 + rep)) -t "$1" --sweeps 3000 \
        --tuning-sweeps 200 $(schedule_for "$1") $(swap_arguments "$swap")
    done
  done
}
