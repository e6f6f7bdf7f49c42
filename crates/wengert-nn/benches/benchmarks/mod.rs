pub mod conv;
pub mod layers;
pub mod losses;
pub mod lstm;
pub mod weights;
