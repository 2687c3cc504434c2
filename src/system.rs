//! Everything nwvol finds on the devices it is given: partitions assembled
//! into mirror groups, and groups into volumes.

use std::sync::Arc;

use crate::cache::{BlockIo, Cache, CacheConfig};
use crate::device::Device;
use crate::error::Result;
use crate::mirror::MirrorGroup;
use crate::mirror::assemble::assemble;
use crate::partition::Partition;
use crate::volume::{ChecksumIo, GroupTable, Volume, assemble_volumes, read_volume_table};

/// Mirror groups and volumes assembled from a set of devices.
#[derive(Debug)]
pub struct System {
    /// Mirror groups, in the order of their first device.
    pub groups: Vec<Arc<MirrorGroup>>,
    /// Where volume I/O goes: the cache, under the upkeep of block
    /// checksums (`checksums`).
    pub io: Arc<dyn BlockIo>,
    /// The same I/O path, for telling it about volumes created or
    /// extended while open.
    pub checksums: Arc<ChecksumIo>,
    /// The same cache, for its counters.
    pub cache: Arc<Cache>,
    /// Each group's volume table (same index as `groups`).
    pub tables: Vec<GroupTable>,
    /// Volumes, in the order first seen.
    pub volumes: Vec<Volume>,
}

impl System {
    /// Opens every device's partition and assembles groups and volumes,
    /// with a cache of the default size. Any device that is not a readable
    /// NetWare partition is an error naming it.
    pub fn open(devices: Vec<Arc<dyn Device>>) -> Result<System> {
        System::open_with(devices, CacheConfig::default())
    }

    /// Like [`System::open`], with the cache configured by `cache`.
    pub fn open_with(devices: Vec<Arc<dyn Device>>, cache: CacheConfig) -> Result<System> {
        let parts = devices
            .into_iter()
            .map(Partition::open)
            .collect::<Result<Vec<_>>>()?;
        let groups: Vec<Arc<MirrorGroup>> = assemble(parts)?.into_iter().map(Arc::new).collect();
        let tables = groups
            .iter()
            .map(|g| read_volume_table(g))
            .collect::<Result<Vec<_>>>()?;
        let volumes = assemble_volumes(&groups, &tables)?;
        // One cache for every group and volume of the process.
        let cache = Arc::new(Cache::new(groups.clone(), cache));
        let checksums = Arc::new(ChecksumIo::new(cache.clone(), &volumes));
        let io: Arc<dyn BlockIo> = checksums.clone();
        Ok(System {
            groups,
            io,
            checksums,
            cache,
            tables,
            volumes,
        })
    }

    /// Opens partitions and assembles mirror groups only (no volume table
    /// is read): what `format` writes volumes through.
    pub fn open_partitions_only(devices: Vec<Arc<dyn Device>>) -> Result<Vec<MirrorGroup>> {
        let parts = devices
            .into_iter()
            .map(Partition::open)
            .collect::<Result<Vec<_>>>()?;
        assemble(parts)
    }

    /// Finds a volume by name (case-insensitive).
    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.volumes
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }
}
