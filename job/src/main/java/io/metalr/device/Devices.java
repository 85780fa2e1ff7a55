package io.metalr.device;

import ai.djl.Device;
import ai.djl.engine.Engine;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The one place that decides where tensors live. {@code device = auto} takes GPU 0 when the
 * engine sees one (a CUDA build of libtorch on a GPU machine) and the CPU otherwise; {@code cpu}
 * and {@code gpu} / {@code gpu:N} force a choice.
 *
 * <h2>GPU executors (Spark resource scheduling)</h2>
 *
 * <p>On a cluster, Spark, not this class, decides which GPU a task may use:
 * <ul>
 *   <li>{@code spark.executor.resource.gpu.amount} is how many GPUs each executor asks the cluster
 *       manager for (1 in {@code conf/spark-gpu.conf});
 *   <li>{@code spark.executor.resource.gpu.discoveryScript} is a script the executor runs at start
 *       to learn the addresses of the GPUs it was given ({@code submit/gpu-discovery.sh}: the
 *       indices {@code nvidia-smi} lists, printed as {@code {"name": "gpu", "addresses": ["0",...]}});
 *       in standalone mode the worker runs it ({@code spark.worker.resource.gpu.*}) and hands
 *       addresses to its executors;
 *   <li>{@code spark.task.resource.gpu.amount} is how many GPUs each task needs (1): the scheduler
 *       then runs at most (executor GPUs / task GPUs) tasks at a time on an executor and gives each
 *       running task its own addresses, which the task reads from
 *       {@code TaskContext.get().resources().get("gpu")}.
 * </ul>
 * {@link #forCurrentTask} reads that assignment and {@link #forTask} maps it: one task uses one
 * GPU, the first address it was given ({@code "1"} becomes {@code gpu(1)}); should a task be given
 * several, the others are left idle, since the training step is single-device. The address must be
 * a device index as this process's libtorch numbers them: when the cluster manager restricts the
 * executor with {@code CUDA_VISIBLE_DEVICES} (YARN/Kubernetes isolation), the discovery script must
 * run inside that restriction too. {@code device = cpu} still forces the CPU;
 * {@code auto} and {@code gpu} follow the assignment; {@code gpu:N} must agree with it. A task on
 * an executor without a GPU resource, and code outside any task (the driver, a single-process
 * run), fall back to {@link #resolve(String)}: note that there {@code auto} takes GPU 0 whenever
 * the engine sees one, so on GPU nodes let Spark assign the GPUs rather than run several tasks per
 * node without {@code spark.task.resource.gpu.amount}.
 *
 * <p>An executor given a GPU needs the CUDA build of libtorch (README, "GPU executors"): with the
 * CPU build the engine sees no GPU and {@link #forTask} fails rather than silently train on the
 * CPU of a GPU node.
 */
public final class Devices {

    /** The resource name Spark's GPU settings use ({@code spark.*.resource.gpu.*}). */
    public static final String GPU_RESOURCE = "gpu";

    private static final String CUDA_FIX = "run the executors with the CUDA 12.8 build of libtorch"
            + " 2.7.1 (README, \"GPU executors\"; conf/spark-gpu.conf):"
            + " ai.djl.pytorch:pytorch-native-cu128:2.7.1:linux-x86_64 on the executor classpath instead of"
            + " pytorch-native-cpu, or spark.executorEnv.PYTORCH_LIBRARY_PATH=<libtorch cu128>/lib with"
            + " spark.executorEnv.PYTORCH_FLAVOR=cu128 and spark.executorEnv.PYTORCH_VERSION=2.7.1";

    private Devices() {}

    public static Device resolve(String setting) {
        return resolve(setting, Engine.getInstance().getGpuCount());
    }

    /** {@link #resolve(String)} against a given GPU count (the engine's, or a test's). */
    private static Device resolve(String setting, int gpus) {
        String s = setting.trim().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return gpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("gpu") || s.startsWith("gpu:")) {
            int id = s.equals("gpu") ? 0 : parseId(setting);
            if (id >= gpus) {
                throw new IllegalArgumentException(
                        "device = " + setting + " but the engine sees " + gpus
                                + " GPU(s); is the CUDA flavour of pytorch-native on the classpath?");
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N; got '" + setting + "'");
    }

    /**
     * The device of a Spark task, from the {@code device} setting, the task's resources (name to
     * addresses, as {@code TaskContext.resources()} holds them) and the number of GPUs the engine
     * sees. {@code cpu} always gives the CPU; with a {@code "gpu"} resource the task's first address
     * {@code N} gives {@code gpu(N)} ({@code gpu:M} with {@code M != N} is an error); without one,
     * {@link #resolve(String)} against {@code engineGpuCount}.
     *
     * @throws IllegalArgumentException for a malformed setting, a GPU resource without addresses,
     *     an address that is not a device index or that the engine does not see (in particular any
     *     address when the engine is the CPU build of libtorch), or a {@code gpu:M} that contradicts
     *     Spark's assignment
     */
    public static Device forTask(String setting, Map<String, String[]> taskResources, int engineGpuCount) {
        String s = setting.trim().toLowerCase(Locale.ROOT);
        Integer wanted = null;
        if (s.startsWith("gpu:")) {
            wanted = parseId(setting);
        } else if (!s.equals("auto") && !s.equals("cpu") && !s.equals("gpu")) {
            throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N; got '" + setting + "'");
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        String[] addresses = taskResources == null ? null : taskResources.get(GPU_RESOURCE);
        if (addresses == null) {
            return resolve(setting, engineGpuCount);
        }
        if (addresses.length == 0 || addresses[0] == null) {
            throw new IllegalArgumentException("Spark gave this task a '" + GPU_RESOURCE
                    + "' resource without an address; check spark.task.resource.gpu.amount and the"
                    + " discovery script (submit/gpu-discovery.sh)");
        }
        String address = addresses[0];
        int id = parseAddress(address);
        if (engineGpuCount <= 0) {
            throw new IllegalArgumentException("Spark assigned GPU address " + address + " to this task but the"
                    + " PyTorch engine sees no GPU (the CPU build of libtorch, or no CUDA driver): "
                    + CUDA_FIX + "; or set device = cpu to train on the CPU");
        }
        if (id >= engineGpuCount) {
            throw new IllegalArgumentException("Spark assigned GPU address " + address + " to this task but the"
                    + " PyTorch engine sees only " + engineGpuCount + " GPU(s) (indices 0.."
                    + (engineGpuCount - 1) + "); the discovery script must report indices as this"
                    + " process sees them (mind CUDA_VISIBLE_DEVICES)");
        }
        if (wanted != null && wanted != id) {
            throw new IllegalArgumentException("device = " + setting + " but Spark assigned GPU address "
                    + address + " to this task; under Spark GPU scheduling use device = auto or gpu");
        }
        return Device.gpu(id);
    }

    /**
     * {@link #forTask} for the Spark task running in this thread, with the engine's GPU count;
     * outside a task (the driver, a single-process run, or no Spark on the classpath)
     * {@link #resolve(String)}.
     */
    public static Device forCurrentTask(String setting) {
        Map<String, String[]> resources;
        try {
            resources = SparkTask.resources();
        } catch (NoClassDefFoundError e) {
            resources = null; // Spark is provided: a run without it has no task either
        }
        if (resources == null) {
            return resolve(setting);
        }
        return forTask(setting, resources, Engine.getInstance().getGpuCount());
    }

    /** Kept apart so that Devices itself loads without Spark on the classpath. */
    private static final class SparkTask {

        private SparkTask() {}

        /** The current task's resources as name to addresses, or null outside a task. */
        static Map<String, String[]> resources() {
            org.apache.spark.TaskContext tc = org.apache.spark.TaskContext.get();
            if (tc == null) {
                return null;
            }
            // resourcesJMap() is the java.util view of resources(), the Scala map.
            Map<String, String[]> out = new HashMap<>();
            tc.resourcesJMap().forEach((name, info) -> out.put(name, info.addresses()));
            return out;
        }
    }

    /** A GPU address from Spark: a non-negative decimal index. */
    private static int parseAddress(String address) {
        String a = address.trim();
        if (a.isEmpty() || !a.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("Spark assigned GPU address '" + address + "' to this task, which"
                    + " is not a device index (0, 1, ...); the discovery script must print nvidia-smi"
                    + " indices, not UUIDs or names (submit/gpu-discovery.sh)");
        }
        try {
            return Integer.parseInt(a);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Spark assigned GPU address '" + address + "' to this task,"
                    + " which is out of range for a device index", e);
        }
    }

    private static int parseId(String setting) {
        try {
            int id = Integer.parseInt(setting.trim().substring(4));
            if (id < 0) {
                throw new NumberFormatException("negative");
            }
            return id;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N; got '" + setting + "'", e);
        }
    }
}
