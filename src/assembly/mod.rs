//! The assembly: everything nwvol finds on the devices it is given,
//! partitions assembled into mirror groups, groups into volumes, over one
//! cache. It sits above the layers it assembles (device .. volume) and
//! below check and format, which work on an assembly.
//!
//! - [`admin`]: creating, extending and renaming volumes (they rewrite
//!   the volume tables of every group involved).
//! - [`allocated_plan`]: what a remirror of a group must copy.

use std::sync::Arc;

use crate::cache::{BlockIo, Cache, CacheConfig};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::mirror::MirrorGroup;
use crate::mirror::assemble::assemble;
use crate::partition::Partition;
use crate::volume::{
    ChecksumIo, GroupTable, OpenMode, OpenVolume, Volume, assemble_volumes, read_volume_table,
};

pub mod admin;
mod left_out;
mod remirror_plan;

pub use left_out::{LeftOut, LeftOutReason};

pub use remirror_plan::allocated_plan;

/// Mirror groups and volumes assembled from a set of devices, and the one
/// cache their I/O goes through.
#[derive(Debug)]
pub struct Assembly {
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
    /// Devices given that could not serve and were left out (only
    /// [`Assembly::open_available`] leaves any out).
    pub left_out: Vec<LeftOut>,
}

impl Assembly {
    /// Opens every device's partition and assembles groups and volumes,
    /// with a cache of the default size. Any device that is not a readable
    /// NetWare partition is an error naming it.
    pub fn open(devices: Vec<Arc<dyn Device>>) -> Result<Assembly> {
        Assembly::open_with(devices, CacheConfig::default())
    }

    /// Like [`Assembly::open`], with the cache configured by `cache`.
    pub fn open_with(devices: Vec<Arc<dyn Device>>, cache: CacheConfig) -> Result<Assembly> {
        let parts = devices
            .into_iter()
            .map(Partition::open)
            .collect::<Result<Vec<_>>>()?;
        let groups: Vec<Arc<MirrorGroup>> = assemble(parts)?.into_iter().map(Arc::new).collect();
        let tables = groups
            .iter()
            .map(|g| read_volume_table(g))
            .collect::<Result<Vec<_>>>()?;
        Assembly::finish(groups, tables, cache, Vec::new())
    }

    /// Like [`Assembly::open_with`], but a device that cannot serve (not a
    /// readable NetWare partition, or holding another volume set of the
    /// same volume names as the others) is left out and listed in
    /// `left_out`; the others assemble, degraded. Fails only when no
    /// device can serve (with the first device's error) or when two sets
    /// clash with nothing to tell which one the user means.
    pub fn open_available(devices: Vec<Arc<dyn Device>>, cache: CacheConfig) -> Result<Assembly> {
        let (groups, mut left_out) = left_out::available_groups(devices)?;
        let (groups, tables, strangers) = left_out::drop_strangers(groups)?;
        left_out.extend(strangers);
        let groups: Vec<Arc<MirrorGroup>> = groups.into_iter().map(Arc::new).collect();
        Assembly::finish(groups, tables, cache, left_out)
    }

    /// Like [`Assembly::open_partitions_only`], leaving out the devices
    /// that are not readable NetWare partitions (see
    /// [`Assembly::open_available`]; no volume table is read).
    pub fn open_partitions_available(
        devices: Vec<Arc<dyn Device>>,
    ) -> Result<(Vec<MirrorGroup>, Vec<LeftOut>)> {
        left_out::available_groups(devices)
    }

    fn finish(
        groups: Vec<Arc<MirrorGroup>>,
        tables: Vec<GroupTable>,
        cache: CacheConfig,
        left_out: Vec<LeftOut>,
    ) -> Result<Assembly> {
        let volumes = assemble_volumes(&groups, &tables)?;
        // One cache for every group and volume of the process.
        let cache = Arc::new(Cache::new(groups.clone(), cache));
        let checksums = Arc::new(ChecksumIo::new(cache.clone(), &volumes));
        // Every block read from a member is checked before the cache
        // takes it.
        let check: Arc<dyn crate::cache::BlockCheck> = checksums.clone();
        cache.set_checker(Some(Arc::downgrade(&check)));
        let io: Arc<dyn BlockIo> = checksums.clone();
        Ok(Assembly {
            groups,
            io,
            checksums,
            cache,
            tables,
            volumes,
            left_out,
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

impl OpenVolume {
    /// Opens the volume named `name` (any case) of an assembly.
    pub fn from_assembly(sys: &Assembly, name: &str, mode: OpenMode) -> Result<OpenVolume> {
        let vol = sys.volume(name).cloned().ok_or_else(|| {
            let have: Vec<&str> = sys.volumes.iter().map(|v| v.name.as_str()).collect();
            Error::NotFound(format!(
                "volume {} (the devices hold: {})",
                name.to_ascii_uppercase(),
                if have.is_empty() {
                    "no volume".to_string()
                } else {
                    have.join(", ")
                }
            ))
        })?;
        for s in &vol.segments {
            if let Some((first, second)) = sys.groups[s.group].split_brain() {
                return Err(Error::SplitBrain { first, second });
            }
        }
        OpenVolume::open(vol, sys.io.clone(), mode)
    }
}
