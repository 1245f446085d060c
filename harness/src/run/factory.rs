//! Target factories for the runners (`netdrill run`, the corpus tests, the
//! benchmark): one fresh target per run.

use super::{RunConfig, TargetFactory};
use crate::target::reference::{ProfileChoice, ReferenceTarget};
use crate::target::{Target, TargetError};

/// Makes reference targets with a profile.
#[derive(Clone, Copy, Debug)]
pub struct ReferenceFactory(pub ProfileChoice);

impl TargetFactory for ReferenceFactory {
    fn name(&self) -> &'static str {
        "reference"
    }
    fn make(&self, cfg: &RunConfig) -> Result<Box<dyn Target>, TargetError> {
        Ok(Box::new(ReferenceTarget::new(&cfg.net, self.0)))
    }
}

/// Makes kernel targets (a fresh network namespace per run).
#[derive(Clone, Copy, Debug)]
pub struct KernelFactory;

impl TargetFactory for KernelFactory {
    fn name(&self) -> &'static str {
        "kernel"
    }
    fn make(&self, cfg: &RunConfig) -> Result<Box<dyn Target>, TargetError> {
        Ok(Box::new(crate::target::kernel::KernelTarget::new(
            &cfg.net,
        )?))
    }
}
