pub mod layers;
pub mod losses;
pub mod weights;
