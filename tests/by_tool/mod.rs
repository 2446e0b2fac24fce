mod data_maintainer;
mod dispatch;
mod script;
