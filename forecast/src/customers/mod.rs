//! Customer value: BG/NBD, Gamma-Gamma, sBG, RFM and segments (issue #7).
