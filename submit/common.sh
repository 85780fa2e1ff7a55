# Sourced by the submit/ scripts: builds the project when needed (METALR_NO_BUILD=1: never) and
# sets JAVA_CMD to a java command line with the job's classpath (the application jar, DJL, and
# Spark's jars from Maven, since no Spark distribution is needed for local runs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOB_JAR="$ROOT/job/target/metalr-job-0.1.0-SNAPSHOT.jar"
CP_FILE="$ROOT/job/target/classpath.txt"              # every jar, Spark included (runs outside spark-submit)
RUNTIME_CP_FILE="$ROOT/job/target/runtime-classpath.txt"  # without Spark's (what spark-submit ships)

newest_source() {
  find "$ROOT/job/src/main" "$ROOT/udf/src/main" "$ROOT/conf" "$ROOT/pom.xml" "$ROOT/job/pom.xml" "$ROOT/udf/pom.xml" \
    -type f -newer "$JOB_JAR" -print -quit 2>/dev/null
}

# A fresh machine has neither: install them (and a font for the charts) before the first build.
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  bash "$ROOT/submit/setup.sh" --tools
fi

if [[ -z "${METALR_NO_BUILD:-}" ]] && [[ ! -f "$JOB_JAR" || ! -f "$CP_FILE" || ! -f "$RUNTIME_CP_FILE" || -n "$(newest_source)" ]]; then
  echo "building metalr-spark (mvn install -DskipTests)..." >&2
  # the job module's package phase also writes the two classpath files
  (cd "$ROOT" && mvn -B -q install -DskipTests -pl udf,job -am >&2)
fi

# glibc malloc settings that keep libtorch's buffers mapped between passes (submit/malloc.env says
# why); a value already in the environment wins. Executors get the same through spark.executorEnv.
MALLOC_ENV=()
while IFS='=' read -r key value; do
  [[ -z "$key" || "$key" == \#* ]] && continue
  [[ -n "${!key:-}" ]] || export "$key=$value"
  MALLOC_ENV+=("$key=${!key}")
done <"$ROOT/submit/malloc.env"

# The flags spark-submit's launcher adds, needed by Spark classes outside spark-submit.
ADD_OPENS=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED)
# The throughput collector: a training step allocates several arrays of tens of MB (gradients,
# their mean, broadcasts), which G1 handles as humongous objects with concurrent marking cycles
# competing for the cores. Measured with submit/bench.sh spark, 3 runs each (README, Distributed
# training): ResNet-18 overhead share 0.105-0.142 with ParallelGC against 0.126-0.162 with G1.
# METALR_GC="" keeps the JVM's default.
JAVA_GC="${METALR_GC--XX:+UseParallelGC}"
JAVA_CMD=(java "${ADD_OPENS[@]}" -Dai.djl.offline=true $JAVA_GC ${METALR_JAVA_OPTS:-} -cp "$JOB_JAR:$(cat "$CP_FILE")")
