package io.metalr;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

import java.io.IOException;
import java.nio.file.Path;

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
}
