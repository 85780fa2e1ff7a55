package io.metalr.data.load;

import java.io.Serializable;
import java.util.Comparator;

import org.apache.spark.Partitioner;

/**
 * The shuffle key of a record: its shard picks the partition (so a shard's train and val records
 * meet in one task, on one executor), and (split, rid) orders the records within it, the order
 * stores are written in. So a store rebuilt after a lost executor is bitwise the same.
 */
record ShardKey(int shard, int split, long rid) implements Serializable {

    /** Orders keys by split, then rid. */
    static final class Order implements Comparator<ShardKey>, Serializable {
        @Override
        public int compare(ShardKey a, ShardKey b) {
            int c = Integer.compare(a.split, b.split);
            return c != 0 ? c : Long.compare(a.rid, b.rid);
        }
    }

    /** Partition = shard. */
    static final class ByShard extends Partitioner {
        private final int shards;

        ByShard(int shards) {
            this.shards = shards;
        }

        @Override
        public int numPartitions() {
            return shards;
        }

        @Override
        public int getPartition(Object key) {
            return ((ShardKey) key).shard();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByShard b && b.shards == shards;
        }

        @Override
        public int hashCode() {
            return shards;
        }
    }
}
