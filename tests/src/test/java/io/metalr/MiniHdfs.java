package io.metalr;

import io.metalr.data.read.DataPaths;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * An in-JVM HDFS for tests: a MiniDFSCluster (hadoop-client-minicluster, the Hadoop version Spark
 * brings) with one datanode, everything bound to 127.0.0.1, no permissions, replication 1 and
 * 1 MiB blocks (so small test files still span several blocks).
 */
public final class MiniHdfs {

    private MiniHdfs() {}

    /** Starts a cluster whose storage lives under {@code dir}; {@link #root} gives its URI. */
    public static MiniDFSCluster start(Path dir) throws IOException {
        Configuration conf = new Configuration();
        conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
        conf.set("dfs.namenode.http-address", "127.0.0.1:0");
        conf.set("dfs.datanode.address", "127.0.0.1:0");
        conf.set("dfs.datanode.http.address", "127.0.0.1:0");
        conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
        conf.set("dfs.datanode.hostname", "127.0.0.1");
        conf.setBoolean("dfs.permissions.enabled", false);
        conf.setInt("dfs.replication", 1);
        conf.setLong("dfs.blocksize", 1024 * 1024);
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, dir.toFile()).numDataNodes(1).format(true).build();
        cluster.waitActive();
        return cluster;
    }

    /** {@code hdfs://127.0.0.1:<port>}, without a trailing slash. */
    public static String root(MiniDFSCluster cluster) {
        return "hdfs://127.0.0.1:" + cluster.getNameNodePort();
    }

    /**
     * One cluster for a whole test class, started before its first test and shut down after its
     * last: {@code @RegisterExtension static final MiniHdfs.PerClass HDFS = new MiniHdfs.PerClass();},
     * then paths under {@code HDFS.root()}.
     */
    public static final class PerClass implements BeforeAllCallback, AfterAllCallback {

        private Path dir;
        private MiniDFSCluster cluster;
        private String root;

        @Override
        public void beforeAll(ExtensionContext context) throws IOException {
            dir = Files.createTempDirectory("minihdfs");
            cluster = start(dir.resolve("dfs"));
            root = MiniHdfs.root(cluster);
        }

        @Override
        public void afterAll(ExtensionContext context) throws IOException {
            try {
                if (cluster != null) {
                    // the job's client comes from Hadoop's cache: close it with the cluster it talks to
                    DataPaths.fileSystem(root + "/", DataPaths.configuration()).close();
                    cluster.shutdown(true);
                    cluster = null;
                }
            } finally {
                try (var paths = Files.walk(dir)) {
                    paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
                }
            }
        }

        /** {@code hdfs://127.0.0.1:<port>}, without a trailing slash. */
        public String root() {
            return root;
        }
    }
}
