mod dispatch;
mod script;
