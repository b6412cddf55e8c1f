// The same command as ../ours/00003-settings-defaults.json, through the driver.
module.exports = {
  async up(db) {
    await db.collection("settings").insertOne({ _id: "defaults", locale: "en-US", timezone: "UTC", features: { billing: false } });
  },
  async down(db) { await db.collection("settings").deleteOne({ _id: "defaults" }); },
};
