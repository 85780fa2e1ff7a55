package io.metalr.bench;

import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on 127.0.0.1, for tests and benchmarks: a Master and a Worker,
 * each in a JVM of its own started from a classpath of jars (Maven's, as the tests and
 * {@code submit/} have it), and a driver session, in this JVM or another, whose executors the
 * Worker launches as further JVMs.
 *
 * <p>How it is put together (all under one temp dir, deleted by {@link #close()}):
 * <ul>
 *   <li>{@code spark-home/jars/}: a symlink to every jar of the classpath except the project's own
 *       ({@code metalr-*.jar}) and Surefire's. That is Spark, its dependencies, DJL and libtorch's
 *       native jar: the Worker builds each executor's classpath from {@code SPARK_HOME/jars/*} (its
 *       launcher finds that folder only next to a {@code RELEASE} file and with
 *       {@code SPARK_SCALA_VERSION} set), so these load in the executor's system class loader, as on
 *       a cluster whose nodes have Spark and the engine installed.</li>
 *   <li>{@code app/}: the project's classes, i.e. every classpath directory (test-classes, and
 *       job/udf {@code target/classes} in a reactor build) packed into {@code metalr-app.jar}, plus
 *       the project's jars as they are. These go through {@code spark.jars}, so executors fetch them
 *       from the driver and load them in Spark's per-application class loader, as an application jar
 *       given to spark-submit would be.</li>
 *   <li>{@code launcher.jar}: only {@link Daemon}, the main class of the Master and Worker JVMs: it runs
 *       the Spark main class and exits the JVM when its stdin (a pipe from this JVM) closes, so even a
 *       JVM killed outright leaves no Master or Worker behind (the Worker's own shutdown hook then
 *       kills its executors).</li>
 *   <li>{@code logs/master.log}, {@code logs/worker.log}, and the executors' {@code stdout}/{@code stderr}
 *       under {@code work/<app-id>/<executor-id>/}.</li>
 * </ul>
 *
 * <p>{@code -Dmetalr.cluster.keep=true} keeps the temp dir (logs included) after {@link #close()}.
 *
 * <p>Only one SparkContext may live in a JVM: {@link #session} stops whichever one is active first.
 */
public final class LocalCluster implements AutoCloseable {

    /** The flags spark-submit's launcher adds; every JVM that runs Spark outside spark-submit needs them. */
    public static final List<String> ADD_OPENS = List.of(
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED");

    /** DJL flags for executors: nothing downloaded, one inter-op thread (as the project's djl.jvm.flags). */
    public static final List<String> DJL_FLAGS = List.of(
            "-Dai.djl.offline=true",
            "-Dai.djl.pytorch.num_interop_threads=1");

    /**
     * What the cluster and its executors are.
     *
     * @param classpath the jars (and class folders) of Spark, the engine and the project
     * @param workerCores cores the Worker offers
     * @param workerMemory memory the Worker offers, as Spark writes it ({@code 4g})
     * @param executors executors of 1 core each that a {@link #session} waits for
     * @param executorMemory each executor's heap ({@code 1g})
     * @param executorJavaOptions {@code spark.executor.extraJavaOptions} (the add-opens are added)
     * @param env environment of the Master, the Worker and the executors (e.g. the malloc settings)
     */
    public record Settings(List<Path> classpath, int workerCores, String workerMemory, int executors,
            String executorMemory, List<String> executorJavaOptions, Map<String, String> env) {

        public Settings {
            classpath = List.copyOf(classpath);
            executorJavaOptions = List.copyOf(executorJavaOptions);
            env = Map.copyOf(env);
        }
    }

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private static final String EXECUTOR_MAIN = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

    private final Settings settings;
    private final Path root;
    private final Path home;
    private final Path logs;
    private final Path work;
    private final List<String> appJars;
    private final List<Path> skippedEntries = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::cleanUpAtExit, "local-cluster-cleanup");
    private Process master;
    private Process worker;
    private String masterUrl;
    private int masterUiPort;
    private SparkSession session;
    private boolean closed;

    private LocalCluster(Settings settings, Path root) {
        this.settings = settings;
        this.root = root;
        this.home = root.resolve("spark-home");
        this.logs = root.resolve("logs");
        this.work = root.resolve("work");
        this.appJars = new ArrayList<>();
    }

    public static LocalCluster start(Settings settings) {
        Path root;
        try {
            root = Files.createTempDirectory("metalr-standalone-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LocalCluster c = new LocalCluster(settings, root);
        Runtime.getRuntime().addShutdownHook(c.shutdownHook);
        try {
            c.assemble();
            c.startDaemons(settings.workerCores(), settings.workerMemory());
            return c;
        } catch (Throwable t) {
            c.printLogTails(System.err);
            c.close();
            throw t instanceof RuntimeException r ? r : new IllegalStateException("cluster did not start", t);
        }
    }

    public Settings settings() {
        return settings;
    }

    public String masterUrl() {
        return masterUrl;
    }

    /** The master's JSON status page (workers, cores, applications). */
    public String masterStatusUrl() {
        return "http://127.0.0.1:" + masterUiPort + "/json/";
    }

    /** The cluster's temp dir; tests may put their own files under it (deleted on close). */
    public Path root() {
        return root;
    }

    public Path sparkHome() {
        return home;
    }

    /** What {@code spark.jars} ships: the project's classes. */
    public List<String> appJars() {
        return List.copyOf(appJars);
    }

    public long masterPid() {
        return master.pid();
    }

    public long workerPid() {
        return worker.pid();
    }

    // ---------------------------------------------------------------- assembly

    private void assemble() {
        try {
            Path jars = Files.createDirectories(home.resolve("jars"));
            Files.createDirectories(home.resolve("conf"));
            Files.createFile(home.resolve("RELEASE"));
            Files.createDirectories(logs);
            Files.createDirectories(work);
            Path app = Files.createDirectories(root.resolve("app"));
            List<Path> classDirs = new ArrayList<>();
            Set<String> names = new LinkedHashSet<>();
            for (Path entry : settings.classpath()) {
                String name = entry.getFileName().toString();
                if (Files.isDirectory(entry)) {
                    classDirs.add(entry);
                } else if (!Files.isRegularFile(entry) || !name.endsWith(".jar")) {
                    skippedEntries.add(entry);
                } else if (name.startsWith("metalr-")) {
                    appJars.add(entry.toString());
                } else if (name.startsWith("surefire") || name.startsWith("maven-surefire")) {
                    skippedEntries.add(entry);
                } else if (names.add(name)) {
                    Files.createSymbolicLink(jars.resolve(name), entry.toAbsolutePath());
                } else {
                    skippedEntries.add(entry); // same file name twice: the first wins, as on a classpath
                }
            }
            if (!classDirs.isEmpty()) {
                Path appJar = app.resolve("metalr-app.jar");
                packDirectories(classDirs, appJar);
                appJars.add(0, appJar.toString());
            }
            writeLauncherJar(root.resolve("launcher.jar"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * This JVM's classpath. Surefire may start the fork with a manifest-only booter jar; it then puts
     * the real classpath in {@code java.class.path} (and {@code surefire.test.class.path}), but a
     * lone jar whose manifest has a Class-Path is expanded here too.
     */
    public static List<Path> jvmClasspath() throws IOException {
        String cp = Optional.ofNullable(System.getProperty("surefire.test.class.path"))
                .filter(s -> !s.isBlank())
                .orElse(System.getProperty("java.class.path"));
        List<Path> out = new ArrayList<>();
        for (String s : cp.split(File.pathSeparator)) {
            if (s.isBlank()) {
                continue;
            }
            Path p = Paths.get(s).toAbsolutePath().normalize();
            out.add(p);
        }
        if (out.size() == 1 && out.get(0).toString().endsWith(".jar")) {
            try (JarFile jar = new JarFile(out.get(0).toFile())) {
                Manifest mf = jar.getManifest();
                String classPath = mf == null ? null : mf.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
                if (classPath != null) {
                    URI base = out.get(0).toUri();
                    out.clear();
                    for (String u : classPath.trim().split("\\s+")) {
                        out.add(Paths.get(base.resolve(u)).toAbsolutePath().normalize());
                    }
                }
            }
        }
        return out;
    }

    private static void packDirectories(List<Path> dirs, Path jar) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        Set<String> seen = new LinkedHashSet<>();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf)) {
            seen.add("META-INF/MANIFEST.MF");
            for (Path dir : dirs) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(dir)) {
                    files = walk.filter(Files::isRegularFile).sorted().toList();
                }
                for (Path f : files) {
                    String name = dir.relativize(f).toString().replace(File.separatorChar, '/');
                    if (!seen.add(name)) {
                        continue; // first directory on the classpath wins
                    }
                    addParents(out, name, seen);
                    out.putNextEntry(new JarEntry(name));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
        }
    }

    private static void addParents(JarOutputStream out, String name, Set<String> seen) throws IOException {
        int slash = -1;
        while ((slash = name.indexOf('/', slash + 1)) >= 0) {
            String d = name.substring(0, slash + 1);
            if (seen.add(d)) {
                out.putNextEntry(new JarEntry(d));
                out.closeEntry();
            }
        }
    }

    private static void writeLauncherJar(Path jar) throws IOException {
        String entry = Daemon.class.getName().replace('.', '/') + ".class";
        try (InputStream in = Daemon.class.getClassLoader().getResourceAsStream(entry);
                JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            if (in == null) {
                throw new IOException("cannot read " + entry + " from the classpath");
            }
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
    }

    // ---------------------------------------------------------------- Master and Worker

    private void startDaemons(int workerCores, String workerMemory) {
        int masterPort = freePort();
        masterUiPort = freePort();
        int workerUiPort = freePort();
        masterUrl = "spark://127.0.0.1:" + masterPort;
        master = launch("master", "org.apache.spark.deploy.master.Master",
                List.of("-Dspark.master.rest.enabled=false"),
                List.of("--host", "127.0.0.1", "--port", String.valueOf(masterPort),
                        "--webui-port", String.valueOf(masterUiPort)));
        awaitMaster();
        worker = launch("worker", "org.apache.spark.deploy.worker.Worker",
                List.of("-Dspark.local.dir=" + root.resolve("worker-local"),
                        "-Dspark.worker.cleanup.enabled=false"),
                List.of("--host", "127.0.0.1", "--port", "0",
                        "--webui-port", String.valueOf(workerUiPort),
                        "--cores", String.valueOf(workerCores), "--memory", workerMemory,
                        "--work-dir", work.toString(), masterUrl));
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (true) {
            checkAlive();
            String json = fetch(masterStatusUrl());
            if (json != null && intField(json, "aliveworkers") >= 1 && intField(json, "cores") >= workerCores) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no worker registered with " + masterUrl + " within "
                        + STARTUP_TIMEOUT + "; master status: " + json);
            }
            sleep(200);
        }
    }

    private void awaitMaster() {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (fetch(masterStatusUrl()) == null) {
            checkAlive();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("master did not start within " + STARTUP_TIMEOUT);
            }
            sleep(200);
        }
    }

    private Process launch(String name, String mainClass, List<String> props, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(home.resolve("jars") + File.separator + "*" + File.pathSeparator + root.resolve("launcher.jar"));
        // small and quick to start: these JVMs only keep books
        cmd.addAll(List.of("-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        cmd.addAll(ADD_OPENS);
        cmd.addAll(props);
        cmd.add(Daemon.class.getName());
        cmd.add(mainClass);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("SPARK_") || k.equals("HADOOP_CONF_DIR") || k.equals("YARN_CONF_DIR"));
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_CONF_DIR", home.resolve("conf").toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("SPARK_LOG_DIR", logs.toString());
        env.putAll(settings.env());
        try {
            return pb.start(); // stdin stays a pipe from this JVM: Daemon exits when it closes
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the " + name, e);
        }
    }

    private void checkAlive() {
        if (master != null && !master.isAlive()) {
            throw new IllegalStateException("the master exited with " + master.exitValue());
        }
        if (worker != null && !worker.isAlive()) {
            throw new IllegalStateException("the worker exited with " + worker.exitValue());
        }
    }

    // ---------------------------------------------------------------- driver

    /**
     * A driver session in this JVM against the master: the settings' executors of 1 core, with the
     * add-opens, the settings' executor options and environment; returns once both executors are
     * registered. {@code extraConf} is applied last and overrides any of these. Stops any SparkContext
     * already active in this JVM (only one may exist).
     */
    public SparkSession session(String appName, Map<String, String> extraConf) {
        stopSession();
        // another test's local session may still be running: one SparkContext per JVM, so it goes
        for (SparkSession other : List.of(SparkSession.getActiveSession(), SparkSession.getDefaultSession())
                .stream().filter(o -> o.isDefined()).map(o -> o.get()).toList()) {
            stopForeign(other.sparkContext());
        }
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
        Map<String, String> conf = driverConf(appName);
        conf.putAll(extraConf);
        SparkSession.Builder b = SparkSession.builder();
        conf.forEach(b::config);
        try {
            session = b.getOrCreate();
            if (!masterUrl.equals(session.sparkContext().master())) {
                // a bare SparkContext outlived its test: getOrCreate wrapped it; stop it and build anew
                stopForeign(session.sparkContext());
                session = b.getOrCreate();
            }
            if (!masterUrl.equals(session.sparkContext().master())) {
                throw new IllegalStateException("got a session on " + session.sparkContext().master());
            }
            awaitExecutors(settings.executors(), STARTUP_TIMEOUT);
            return session;
        } catch (RuntimeException e) {
            printLogTails(System.err);
            stopSession();
            throw e;
        }
    }

    /** The Spark settings of a driver on this cluster (also for a driver in another process, as -D flags). */
    public Map<String, String> driverConf(String appName) {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.master", masterUrl);
        conf.put("spark.app.name", appName);
        conf.put("spark.driver.host", "127.0.0.1");
        conf.put("spark.driver.bindAddress", "127.0.0.1");
        conf.put("spark.ui.enabled", "false");
        conf.put("spark.executor.cores", "1");
        conf.put("spark.cores.max", String.valueOf(settings.executors()));
        conf.put("spark.executor.memory", settings.executorMemory());
        conf.put("spark.executor.extraJavaOptions", executorJavaOptions());
        settings.env().forEach((k, v) -> conf.put("spark.executorEnv." + k, v));
        conf.put("spark.jars", String.join(",", appJars));
        // the first job waits for every executor, so tasks spread over both
        conf.put("spark.scheduler.minRegisteredResourcesRatio", "1.0");
        conf.put("spark.scheduler.maxRegisteredResourcesWaitingTime", STARTUP_TIMEOUT.toSeconds() + "s");
        conf.put("spark.sql.shuffle.partitions", String.valueOf(settings.executors()));
        return conf;
    }

    /**
     * What {@link #session} puts in {@code spark.executor.extraJavaOptions}: the add-opens and the
     * settings' options. A driver that sets its own options should start from this string.
     */
    public String executorJavaOptions() {
        List<String> all = new ArrayList<>(ADD_OPENS);
        all.addAll(settings.executorJavaOptions());
        return String.join(" ", all);
    }

    private static void stopForeign(SparkContext sc) {
        if (!sc.isStopped()) {
            System.err.println("LocalCluster: stopping the SparkContext already active (" + sc.master() + ")");
            sc.stop();
        }
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    /** Waits until the driver knows at least {@code n} executors (the driver itself not counted). */
    public void awaitExecutors(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (registeredExecutors().size() < n) {
            checkAlive();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + registeredExecutors() + " of " + n
                        + " executors registered within " + timeout);
            }
            sleep(100);
        }
    }

    /** The executors the driver knows, by id, as host:port (the driver itself not included). */
    public Map<String, String> registeredExecutors() {
        if (session == null) {
            return Map.of();
        }
        Map<String, String> out = new TreeMap<>();
        // the block manager master knows every executor by id (and the driver, left out)
        scala.collection.Iterator<org.apache.spark.storage.BlockManagerId> it =
                session.sparkContext().env().blockManager().master().getMemoryStatus().keysIterator();
        while (it.hasNext()) {
            org.apache.spark.storage.BlockManagerId id = it.next();
            if (!id.isDriver()) {
                out.put(id.executorId(), id.host() + ":" + id.port());
            }
        }
        return out;
    }

    public SparkSession currentSession() {
        return session;
    }

    /** Stops this JVM's driver session on the cluster, if any (the cluster keeps running). */
    public void stopSession() {
        if (session != null) {
            try {
                session.stop();
            } finally {
                session = null;
                SparkSession.clearActiveSession();
                SparkSession.clearDefaultSession();
            }
        }
    }

    // ---------------------------------------------------------------- executors

    /**
     * The live executor JVMs of the current application (all of them when there is no session): the
     * Worker's child processes running {@code CoarseGrainedExecutorBackend}, by executor id.
     */
    public Map<String, Long> executorPids() {
        String appId = session == null ? null : session.sparkContext().applicationId();
        Map<String, Long> out = new TreeMap<>();
        if (worker == null) {
            return out;
        }
        worker.toHandle().descendants().filter(ProcessHandle::isAlive).forEach(p -> {
            List<String> args = commandLine(p);
            if (!args.contains(EXECUTOR_MAIN)) {
                return;
            }
            String id = argAfter(args, "--executor-id");
            String app = argAfter(args, "--app-id");
            if (id != null && (appId == null || appId.equals(app))) {
                out.put(id, p.pid());
            }
        });
        return out;
    }

    /** Kills one executor JVM outright (SIGKILL, as a crash would) and waits until it is gone; returns its pid. */
    public long killExecutor(String executorId) {
        Long pid = executorPids().get(executorId);
        if (pid == null) {
            throw new IllegalArgumentException("no live executor " + executorId + "; have " + executorPids());
        }
        ProcessHandle p = ProcessHandle.of(pid).orElseThrow();
        p.destroyForcibly();
        try {
            p.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("executor " + executorId + " (pid " + pid + ") did not die", e);
        }
        return pid;
    }

    private static List<String> commandLine(ProcessHandle p) {
        Path proc = Paths.get("/proc", String.valueOf(p.pid()), "cmdline");
        try {
            if (Files.isReadable(proc)) {
                String s = new String(Files.readAllBytes(proc), StandardCharsets.UTF_8);
                return List.of(s.split("\0"));
            }
        } catch (IOException e) {
            // gone meanwhile, or not Linux: fall through
        }
        List<String> out = new ArrayList<>();
        p.info().command().ifPresent(out::add);
        p.info().arguments().ifPresent(a -> out.addAll(List.of(a)));
        return out;
    }

    private static String argAfter(List<String> args, String flag) {
        int i = args.indexOf(flag);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
    }

    // ---------------------------------------------------------------- logs

    /** The last lines of the master's, the worker's and every executor's log. */
    public void printLogTails(PrintStream out) {
        printLogTails(out, 60);
    }

    public void printLogTails(PrintStream out, int lines) {
        List<Path> files = new ArrayList<>();
        files.add(logs.resolve("master.log"));
        files.add(logs.resolve("worker.log"));
        if (Files.isDirectory(work)) {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.filter(Files::isRegularFile)
                        .filter(f -> f.getFileName().toString().matches("stdout|stderr"))
                        .sorted()
                        .forEach(files::add);
            } catch (IOException | UncheckedIOException e) {
                out.println("cannot list " + work + ": " + e);
            }
        }
        out.println("==== LocalCluster logs (" + root + ")");
        if (!skippedEntries.isEmpty()) {
            out.println("---- classpath entries left out of SPARK_HOME/jars: " + skippedEntries);
        }
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                continue;
            }
            out.println("---- " + root.relativize(f) + " (last " + lines + " lines)");
            try {
                List<String> all = Files.readAllLines(f, StandardCharsets.UTF_8);
                all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> out.println("  " + l));
            } catch (IOException | UncheckedIOException e) {
                out.println("  cannot read: " + e);
            }
        }
        out.println("==== end of LocalCluster logs");
        out.flush();
    }

    // ---------------------------------------------------------------- shutdown

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stopSession();
        } catch (RuntimeException e) {
            System.err.println("LocalCluster: stopping the session failed: " + e);
        }
        destroyProcesses();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        deleteRoot();
    }

    /** The shutdown hook: a test that never reached {@link #close()} leaves no process and no files. */
    private void cleanUpAtExit() {
        if (!closed) {
            destroyProcesses();
            deleteRoot();
        }
    }

    private void deleteRoot() {
        if (keepFiles()) {
            System.err.println("LocalCluster: kept " + root + " (-Dmetalr.cluster.keep=true)");
        } else {
            deleteTree(root);
        }
    }

    /** {@code -Dmetalr.cluster.keep=true}: keep the temp dir, logs included, for a look after the run. */
    public static boolean keepFiles() {
        return Boolean.getBoolean("metalr.cluster.keep");
    }

    /** Kills the Worker's descendants (executors), the Worker and the Master, and waits for them. */
    private void destroyProcesses() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process p : new Process[] {worker, master}) {
            if (p != null) {
                p.toHandle().descendants().forEach(all::add);
                all.add(p.toHandle());
            }
        }
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("LocalCluster: pid " + p.pid() + " still alive: " + e);
            }
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file); // symlinks are deleted, never followed
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("LocalCluster: cannot delete " + dir + ": " + e);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String fetch(String url) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            try (InputStream in = c.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return null;
        }
    }

    private static int intField(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*(\\d+)").matcher(json);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Main class of the Master and Worker JVMs: runs the given Spark main class, and exits the JVM
     * (running its shutdown hooks, so the Worker kills its executors) as soon as stdin reaches its
     * end, which happens when the test JVM that holds the other end of the pipe dies, however it dies.
     * Uses nothing but the JDK: it is the only class of launcher.jar.
     */
    public static final class Daemon {
        private Daemon() {}

        public static void main(String[] args) throws Exception {
            Thread watch = new Thread(() -> {
                try {
                    byte[] buf = new byte[256];
                    while (System.in.read(buf) >= 0) {
                        // nothing is ever sent; only the end matters
                    }
                } catch (IOException e) {
                    // a broken pipe means the same
                }
                System.err.println("Daemon: parent gone, exiting");
                System.exit(0);
            }, "parent-watch");
            watch.setDaemon(true);
            watch.start();
            Class<?> main = Class.forName(args[0]);
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            main.getMethod("main", String[].class).invoke(null, (Object) rest);
        }
    }
}
