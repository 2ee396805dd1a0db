//! Pooling layers over NHWC inputs: MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D.
use super::Layer;
use crate::error::Result;
use crate::ops::conv::Window;
use crate::tensor::Tensor;

/// MaxPooling2D (`average` false) or AveragePooling2D (`average` true).
pub struct Pooling2D {
    pub size: [usize; 2],
    pub window: Window,
    pub average: bool,
}

impl Layer for Pooling2D {
    fn kind(&self) -> &'static str {
        if self.average {
            "AveragePooling2D"
        } else {
            "MaxPooling2D"
        }
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        if self.average {
            x.avg_pool2d(self.size, &self.window)
        } else {
            x.max_pool2d(self.size, &self.window)
        }
    }
}

pub struct GlobalAveragePooling2D;

impl Layer for GlobalAveragePooling2D {
    fn kind(&self) -> &'static str {
        "GlobalAveragePooling2D"
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Result<Tensor> {
        x.global_avg_pool2d()
    }
}
