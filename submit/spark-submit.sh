# Sourced by standalone.sh, yarn.sh and k8s.sh: builds the job when needed and defines
# `submit MASTER_OPTIONS... -- CLI_ARGS...`, which runs spark-submit with the job's main class, its
# jars (the application jar plus DJL, picocli, Typesafe Config, JFreeChart, Hadoop-free: Spark and
# Hadoop are the cluster's), the GPU resource settings of conf/spark-gpu.conf and the flags every
# executor needs. Environment:
#   SPARK_HOME            spark-submit is taken from $SPARK_HOME/bin; else spark-submit on PATH; else
#                         Spark's SparkSubmit from the Maven jars (client mode, standalone only)
#   METALR_GPU=1          GPU executors (conf/spark-gpu.conf); 0 = CPU executors
#   METALR_SPARK_CONF     extra properties file(s) read after conf/spark-gpu.conf, comma-separated
#   METALR_SUBMIT_OPTS    extra spark-submit options, e.g. "--num-executors 4 --executor-memory 24g"
#   METALR_DRY_RUN=1      print the spark-submit command instead of running it
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SUBMIT_DIR="$ROOT/submit"

spark_submit_cmd() {
  if [[ -n "${SPARK_HOME:-}" && -x "$SPARK_HOME/bin/spark-submit" ]]; then
    SUBMIT_CMD=("$SPARK_HOME/bin/spark-submit")
  elif command -v spark-submit >/dev/null; then
    SUBMIT_CMD=(spark-submit)
  else
    # no Spark distribution: the same SparkSubmit class from the Maven jars, with the flags the
    # launcher script would add
    SUBMIT_CMD=(java "${ADD_OPENS[@]}" -Dai.djl.offline=true $JAVA_GC -cp "$(cat "$CP_FILE")" org.apache.spark.deploy.SparkSubmit)
  fi
}

# The job's own jars for --jars: the runtime classpath without the application jar itself.
job_jars() {
  tr ':' '\n' <"$RUNTIME_CP_FILE" | grep -v '^$' | paste -sd, -
}

# The properties every submission sets (a user's --conf given later wins).
common_conf() {
  local opens="-Dai.djl.offline=true $JAVA_GC"
  COMMON_CONF=(--conf "spark.executor.extraJavaOptions=$opens ${METALR_EXECUTOR_JAVA_OPTS:-}"
    --conf "spark.driver.extraJavaOptions=$opens ${METALR_DRIVER_JAVA_OPTS:-}")
  local kv
  for kv in "${MALLOC_ENV[@]}"; do
    COMMON_CONF+=(--conf "spark.executorEnv.$kv")
  done
  PROPS=()
  local files=()
  if [[ "${METALR_GPU:-1}" != 0 ]]; then
    files+=("$ROOT/conf/spark-gpu.conf")
  fi
  if [[ -n "${METALR_SPARK_CONF:-}" ]]; then
    IFS=, read -r -a extra <<<"$METALR_SPARK_CONF"
    files+=("${extra[@]}")
  fi
  if ((${#files[@]})); then
    # spark-submit reads one properties file: merge them, later files winning
    local merged="$ROOT/job/target/submit.properties"
    cat "${files[@]}" >"$merged"
    PROPS=(--properties-file "$merged")
  fi
}

# submit [spark-submit options...] -- [CLI arguments...]
submit() {
  local opts=()
  while (($#)) && [[ "$1" != "--" ]]; do
    opts+=("$1")
    shift
  done
  [[ "${1:-}" == "--" ]] && shift
  if (($# == 0)); then
    echo "usage: $(basename "$0") COMMAND [OPTIONS]   (a metalr command: train, evaluate, predict, sweep, prepare)" >&2
    exit 2
  fi
  spark_submit_cmd
  common_conf
  # shellcheck disable=SC2206
  local user=(${METALR_SUBMIT_OPTS:-})
  local cmd=("${SUBMIT_CMD[@]}" "${opts[@]}" --name "metalr $1" --class io.metalr.cli.Main
    "${PROPS[@]}" "${COMMON_CONF[@]}" --jars "${JOB_JARS:-$(job_jars)}" "${user[@]}" "${APP_JAR:-$JOB_JAR}" "$@")
  if [[ -n "${METALR_DRY_RUN:-}" ]]; then
    printf '%q ' "${cmd[@]}"
    echo
    return 0
  fi
  exec "${cmd[@]}"
}
